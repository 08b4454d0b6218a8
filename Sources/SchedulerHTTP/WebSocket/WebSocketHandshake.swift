public import HTTPTypes

/// The server's side of the opening handshake (RFC 6455 §4.2): checks the upgrade request and
/// chooses what the 101 response agrees to.
enum WebSocketHandshake {
    /// What the server agreed to for one connection.
    struct Accepted {
        var response: HTTPServerResponse
        var subprotocol: String?
        var deflate: (DeflateAgreement, WebSocketCompression)?
    }

    /// The 101 response for `request`, or the 400/426 answer to a handshake the server refuses.
    static func accept(_ request: HTTPRequest, _ configuration: WebSocketConfiguration) -> Result<
        Accepted, HTTPServerResponseBox
    > {
        let fields = request.headerFields
        guard request.method == .get else {
            return .failure(.init(.status(.badRequest, "a WebSocket handshake is a GET")))
        }
        guard hasToken(fields[.upgrade], "websocket") else {
            var response = HTTPServerResponse.status(
                .upgradeRequired, "this resource is a WebSocket: ask with Upgrade: websocket")
            response.headerFields[.upgrade] = "websocket"
            response.headerFields[.secWebSocketVersion] = "13"
            return .failure(.init(response))
        }
        guard hasToken(fields[.connection], "upgrade") else {
            return .failure(.init(.status(.badRequest, "a WebSocket handshake needs Connection: Upgrade")))
        }
        guard fields[.secWebSocketVersion]?.trimmingCharacters == "13" else {
            var response = HTTPServerResponse.status(.upgradeRequired, "only WebSocket version 13 is spoken")
            response.headerFields[.secWebSocketVersion] = "13"
            return .failure(.init(response))
        }
        let keys = fields[values: .secWebSocketKey]
        guard keys.count == 1, let key = Optional(keys[0].trimmingCharacters), Base64.decodedCount(key) == 16 else {
            return .failure(.init(.status(.badRequest, "Sec-WebSocket-Key must be one base64 value of 16 bytes")))
        }
        var response = HTTPServerResponse(status: .switchingProtocols)
        response.headerFields[.upgrade] = "websocket"
        response.headerFields[.connection] = "Upgrade"
        response.headerFields[.secWebSocketAccept] = WebSocketAccept.value(forKey: key)
        var accepted = Accepted(response: response)
        let offered = fields[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }.map {
            String(Substring($0).trimmingSpaces)
        }
        if let chosen = configuration.subprotocols.first(where: { offered.contains($0) }) {
            accepted.subprotocol = chosen
            accepted.response.headerFields[.secWebSocketProtocol] = chosen
        }
        if let settings = configuration.compression {
            let offers = fields[values: .secWebSocketExtensions].joined(separator: ", ")
            if !offers.isEmpty, let (agreement, answer) = DeflateAgreement.serverAccept(offers: offers, settings) {
                accepted.deflate = (agreement, settings)
                accepted.response.headerFields[.secWebSocketExtensions] = answer
            }
        }
        return .success(accepted)
    }

    /// Whether the comma-separated `value` holds `token` (case-insensitive).
    static func hasToken(_ value: String?, _ token: String) -> Bool {
        guard let value else { return false }
        return value.split(separator: ",").contains { Substring($0).trimmingSpaces.lowercased() == token }
    }
}

/// A refusal carried through `Result` (a response is not an `Error`).
struct HTTPServerResponseBox: Error {
    let response: HTTPServerResponse
    init(_ response: HTTPServerResponse) { self.response = response }
}

extension String {
    var trimmingCharacters: String { String(Substring(self).trimmingSpaces) }
}
