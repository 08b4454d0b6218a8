public import HTTPTypes

/// The handler of a WebSocket route: the open socket, the upgrade request (header fields, local
/// and remote address) and the route's context (path parameters).
public typealias WebSocketHandler = @Sendable (WebSocket, HTTPServerRequest, RouteContext) async throws -> Void

extension HTTPRouter {
    /// Adds a WebSocket route at `path`: a GET that upgrades (101) when the handshake is valid,
    /// 400 when it is malformed, 426 with `Sec-WebSocket-Version: 13` for a request that is not
    /// an upgrade or asks for another version. `handler` runs on the connection's loop thread
    /// and owns the socket until it returns; the close handshake (code 1000) then completes,
    /// unless the handler or the peer closed first. A server shutting down closes its sockets
    /// with 1001 (going away).
    public mutating func webSocket(
        _ path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        middleware: [any HTTPMiddleware] = [], _ handler: @escaping WebSocketHandler
    ) throws(RouterError) {
        try get(path, middleware: middleware) { request, context in
            WebSocketRoute.upgrade(request, context, configuration, handler)
        }
    }
}

extension HTTPRouteGroup {
    /// Adds a WebSocket route under the group's prefix; see ``HTTPRouter/webSocket(_:configuration:middleware:_:)``.
    public mutating func webSocket(
        _ path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        middleware: [any HTTPMiddleware] = [], _ handler: @escaping WebSocketHandler
    ) {
        get(path, middleware: middleware) { request, context in
            WebSocketRoute.upgrade(request, context, configuration, handler)
        }
    }
}

/// The upgrade a WebSocket route answers with.
enum WebSocketRoute {
    static func upgrade(
        _ request: HTTPServerRequest, _ context: RouteContext, _ configuration: WebSocketConfiguration,
        _ handler: @escaping WebSocketHandler
    ) -> HTTPServerResponse {
        switch WebSocketHandshake.accept(request.head, configuration) {
        case .failure(let refusal):
            return refusal.response
        case .success(let accepted):
            var response = accepted.response
            let subprotocol = accepted.subprotocol
            let deflate = accepted.deflate.map { SendableDeflate(agreement: $0.0, settings: $0.1) }
            response.takeover = { taken in
                let socket: WebSocket
                do {
                    socket = try WebSocket(
                        connection: taken.connection, role: .server, configuration: configuration,
                        subprotocol: subprotocol, deflate: deflate.map { ($0.agreement, $0.settings) },
                        buffered: taken.buffered)
                } catch {
                    return
                }
                // A server shutting down says so (1001); the handler's reading then ends.
                taken.whenDraining {
                    Task { try? await socket.close(.goingAway, reason: "server shutting down") }
                }
                do { try await handler(socket, request, context) } catch {
                    // A handler that fails ends the socket with 1011 (unless it already closed).
                    try? await socket.close(.internalError, reason: WebSocket.shortened("\(error)"))
                }
                await socket.finish()
            }
            return response
        }
    }
}

/// The agreed compression, carried into the takeover closure.
struct SendableDeflate: Sendable {
    let agreement: DeflateAgreement
    let settings: WebSocketCompression
}
