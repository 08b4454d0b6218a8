public import HTTPTypes
import SchedulerEngine
import Synchronization

/// The server refused the WebSocket handshake, or answered it wrongly.
public struct WebSocketHandshakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The response's status code (0 when no response head could be read).
    public let status: Int
    /// What was wrong.
    public let reason: String

    /// An error for `status` and `reason`.
    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// The status and the reason.
    public var description: String { "WebSocket handshake failed (\(status)): \(reason)" }
}

extension HTTPClient {
    /// Opens a WebSocket to `url` (`ws://host[:port]/path`; `localhost` or an IP literal) on the
    /// client's engine, from `source` when given (a tenant's pool address), offering
    /// `configuration`'s subprotocols and permessage-deflate when it has compression.
    ///
    /// Connecting and the handshake together are bounded by `timeout`. Throws ``HTTPClientError``
    /// when connecting fails, ``WebSocketHandshakeError`` when the server does not switch.
    /// End a socket with ``WebSocket/close(_:reason:)`` and read ``WebSocket/messages`` to their
    /// end, or use ``withWebSocket(_:headerFields:configuration:source:timeout:_:)``.
    public func webSocket(
        _ url: String, headerFields: HTTPFields = [:], configuration: WebSocketConfiguration = WebSocketConfiguration(),
        source: HTTPClientSource? = nil, timeout: Duration = .seconds(10)
    ) async throws -> WebSocket {
        let (tcp, agreed) = try await openWebSocket(
            url, headerFields: headerFields, configuration: configuration, source: source, timeout: timeout)
        do {
            return try WebSocket(
                connection: tcp, role: .client, configuration: configuration, subprotocol: agreed.subprotocol,
                deflate: agreed.deflate, buffered: agreed.buffered)
        } catch {
            tcp.closeNow()
            throw error
        }
    }

    /// Opens a WebSocket like ``webSocket(_:headerFields:configuration:source:timeout:)`` whose
    /// messages go to the ``WebSocketLoopHandler`` that `makeHandler` makes, by callback on the
    /// connection's loop thread; returns the socket's writer once the handler is in place.
    /// End it with ``WebSocketLoopWriter/close(_:reason:)`` and ``WebSocketLoopWriter/waitUntilClosed()``.
    public func webSocket(
        _ url: String, headerFields: HTTPFields = [:], configuration: WebSocketConfiguration = WebSocketConfiguration(),
        source: HTTPClientSource? = nil, timeout: Duration = .seconds(10),
        handlers makeHandler: @escaping @Sendable (WebSocketLoopWriter) -> any WebSocketLoopHandler
    ) async throws -> WebSocketLoopWriter {
        let (tcp, agreed) = try await openWebSocket(
            url, headerFields: headerFields, configuration: configuration, source: source, timeout: timeout)
        let deflater: MessageDeflater?
        do { deflater = try agreed.deflate.map { try MessageDeflater($0.0, settings: $0.1) } } catch {
            tcp.closeNow()
            throw error
        }
        let writer = WebSocketLoopWriter(
            connection: tcp, role: .client, configuration: configuration, subprotocol: agreed.subprotocol,
            deflater: deflater)
        await WebSocketLoopDriver.start(writer: writer, buffered: agreed.buffered, makeHandler: makeHandler)
        // The connection is closed once the socket has ended (the engine keeps it until then).
        Task { [writer] in
            await writer.waitUntilClosed()
            await writer.connection.close()
        }
        return writer
    }

    /// Connects and runs the opening handshake, both bounded by `timeout`.
    private func openWebSocket(
        _ url: String, headerFields: HTTPFields, configuration: WebSocketConfiguration, source: HTTPClientSource?,
        timeout: Duration
    ) async throws -> (TCPConnection, WebSocketClientHandshake.Agreed) {
        let lower = url.lowercased()
        if lower.hasPrefix("wss://") { throw HTTPClientError.unsupportedScheme("wss") }
        guard lower.hasPrefix("ws://") else {
            throw HTTPClientError.invalidURL("a WebSocket URL starts with ws:// ('\(url)')")
        }
        let parsed = try HTTPClientURL("http://" + url.dropFirst(5))
        let deadline = ClientDeadline(total: .now + timeout, read: timeout)
        let tcp = try await connect(try parsed.socketAddress(), source: source, deadline: deadline)
        let timedOut = Atomic<Bool>(false)
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled {
                timedOut.store(true, ordering: .relaxed)
                tcp.closeNow()
            }
        }
        defer { timer.cancel() }
        do {
            return (
                tcp,
                try await WebSocketClientHandshake.run(
                    tcp, url: parsed, headerFields: headerFields, configuration: configuration)
            )
        } catch {
            tcp.closeNow()
            if timedOut.load(ordering: .relaxed) { throw HTTPClientError.timedOut(.total) }
            throw error
        }
    }

    /// Opens a WebSocket like ``webSocket(_:headerFields:configuration:source:timeout:)``, runs
    /// `body` with it, then completes the close handshake (1000 unless `body` closed already).
    public func withWebSocket<Result: Sendable>(
        _ url: String, headerFields: HTTPFields = [:], configuration: WebSocketConfiguration = WebSocketConfiguration(),
        source: HTTPClientSource? = nil, timeout: Duration = .seconds(10),
        _ body: (WebSocket) async throws -> Result
    ) async throws -> Result {
        let socket = try await webSocket(
            url, headerFields: headerFields, configuration: configuration, source: source, timeout: timeout)
        do {
            let result = try await body(socket)
            await socket.finish()
            return result
        } catch {
            await socket.finish()
            throw error
        }
    }
}

/// The client's side of the opening handshake (RFC 6455 §4.1).
enum WebSocketClientHandshake {
    /// What the server's 101 agreed to, and the bytes that came after it.
    struct Agreed {
        var subprotocol: String?
        var deflate: (DeflateAgreement, WebSocketCompression)?
        var buffered: [UInt8]
    }

    static func run(
        _ tcp: TCPConnection, url: HTTPClientURL, headerFields: HTTPFields, configuration: WebSocketConfiguration
    ) async throws -> Agreed {
        let key = WebSocketAccept.randomKey()
        var request =
            "GET \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if !configuration.subprotocols.isEmpty {
            request += "Sec-WebSocket-Protocol: \(configuration.subprotocols.joined(separator: ", "))\r\n"
        }
        if let compression = configuration.compression {
            request += "Sec-WebSocket-Extensions: \(DeflateAgreement.clientOffer(compression))\r\n"
        }
        for field in headerFields {
            request += "\(field.name.rawName): \(field.value)\r\n"
        }
        try await tcp.send(Array((request + "\r\n").utf8))

        // The response head, up to 64 KiB; what follows it is already WebSocket frames.
        var received: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            guard let buffer = try await tcp.recvBuffer() else {
                throw WebSocketHandshakeError(status: 0, reason: "the server closed the connection before answering")
            }
            let searchFrom = max(0, received.count - 3)
            buffer.withUnsafeBytes { received.append(contentsOf: $0) }
            if received.count >= 4 {
                for index in searchFrom...(received.count - 4)
                where received[index] == 13 && received[index + 1] == 10 && received[index + 2] == 13
                    && received[index + 3] == 10
                {
                    headEnd = index
                    break
                }
            }
            if headEnd == nil && received.count > 64 << 10 {
                throw WebSocketHandshakeError(status: 0, reason: "a response head over 64 KiB")
            }
        }
        let head = String(decoding: received[..<headEnd!], as: UTF8.self)
        let buffered = Array(received[(headEnd! + 4)...])
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw WebSocketHandshakeError(status: 0, reason: "a malformed status line")
        }
        var fields: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw WebSocketHandshakeError(status: status, reason: "a malformed header line")
            }
            fields.append(
                (line[..<colon].lowercased(), String(Substring(line[line.index(after: colon)...]).trimmingSpaces)))
        }
        func values(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
        guard status == 101 else {
            throw WebSocketHandshakeError(
                status: status,
                reason: "the server answered \(statusLine.dropFirst().joined(separator: " ")) instead of 101")
        }
        guard WebSocketHandshake.hasToken(values("upgrade").joined(separator: ","), "websocket"),
            WebSocketHandshake.hasToken(values("connection").joined(separator: ","), "upgrade")
        else {
            throw WebSocketHandshakeError(
                status: status, reason: "a 101 without Upgrade: websocket and Connection: Upgrade")
        }
        guard values("sec-websocket-accept") == [WebSocketAccept.value(forKey: key)] else {
            throw WebSocketHandshakeError(status: status, reason: "a wrong Sec-WebSocket-Accept")
        }
        var subprotocol: String?
        let chosen = values("sec-websocket-protocol")
        if !chosen.isEmpty {
            guard chosen.count == 1, configuration.subprotocols.contains(chosen[0]) else {
                throw WebSocketHandshakeError(status: status, reason: "a subprotocol that was not offered: \(chosen)")
            }
            subprotocol = chosen[0]
        }
        var deflate: (DeflateAgreement, WebSocketCompression)?
        let extensions = values("sec-websocket-extensions").joined(separator: ", ")
        if !extensions.isEmpty {
            guard let compression = configuration.compression else {
                throw WebSocketHandshakeError(status: status, reason: "extensions that were not offered: \(extensions)")
            }
            do {
                deflate = (try DeflateAgreement.clientAccept(response: extensions, compression), compression)
            } catch {
                throw WebSocketHandshakeError(status: status, reason: error.reason)
            }
        }
        return Agreed(subprotocol: subprotocol, deflate: deflate, buffered: buffered)
    }
}
