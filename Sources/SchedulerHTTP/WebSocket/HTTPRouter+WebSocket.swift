public import HTTPTypes

/// The handler of a WebSocket route: the open socket, the upgrade request (header fields, local
/// and remote address) and the route's context (path parameters).
public typealias WebSocketHandler = @Sendable (WebSocket, HTTPServerRequest, RouteContext) async throws -> Void

/// Makes the ``WebSocketLoopHandler`` of one connection of a loop-thread WebSocket route, on that
/// connection's loop thread: from its writer, the upgrade request and the route's context.
public typealias WebSocketLoopHandlerFactory =
    @Sendable (WebSocketLoopWriter, HTTPServerRequest, RouteContext) -> any WebSocketLoopHandler

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

extension HTTPRouter {
    /// Adds a WebSocket route whose messages go to a ``WebSocketLoopHandler`` by callback on the
    /// connection's loop thread, with no task per message: the fast form of
    /// ``webSocket(_:configuration:middleware:_:)``, with the same handshake, rules and limits.
    /// `makeHandler` runs once per connection, on its loop thread; the socket closes with 1001
    /// when the server shuts down.
    public mutating func webSocket(
        _ path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        middleware: [any HTTPMiddleware] = [], handlers makeHandler: @escaping WebSocketLoopHandlerFactory
    ) throws(RouterError) {
        try get(path, middleware: middleware) { request, context in
            WebSocketRoute.upgrade(request, context, configuration, handlers: makeHandler)
        }
    }
}

extension HTTPRouteGroup {
    /// Adds a loop-thread WebSocket route under the group's prefix; see ``HTTPRouter/webSocket(_:configuration:middleware:handlers:)``.
    public mutating func webSocket(
        _ path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        middleware: [any HTTPMiddleware] = [], handlers makeHandler: @escaping WebSocketLoopHandlerFactory
    ) {
        get(path, middleware: middleware) { request, context in
            WebSocketRoute.upgrade(request, context, configuration, handlers: makeHandler)
        }
    }

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
    /// What runs on the connection after the 101: the agreed subprotocol and compression.
    typealias Run = @Sendable (TakenConnection, String?, SendableDeflate?) async -> Void

    static func upgrade(
        _ request: HTTPServerRequest, _ context: RouteContext, _ configuration: WebSocketConfiguration,
        _ handler: @escaping WebSocketHandler
    ) -> HTTPServerResponse {
        upgrade(request, configuration) { taken, subprotocol, deflate in
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
    }

    static func upgrade(
        _ request: HTTPServerRequest, _ context: RouteContext, _ configuration: WebSocketConfiguration,
        handlers makeHandler: @escaping WebSocketLoopHandlerFactory
    ) -> HTTPServerResponse {
        upgrade(request, configuration) { taken, subprotocol, deflate in
            let deflater: MessageDeflater?
            do { deflater = try deflate.map { try MessageDeflater($0.agreement, settings: $0.settings) } } catch {
                return
            }
            let writer = WebSocketLoopWriter(
                connection: taken.connection, role: .server, configuration: configuration, subprotocol: subprotocol,
                deflater: deflater)
            taken.whenDraining { try? writer.close(.goingAway, reason: "server shutting down") }
            await WebSocketLoopDriver.run(writer: writer, buffered: taken.buffered) { writer in
                makeHandler(writer, request, context)
            }
        }
    }

    private static func upgrade(
        _ request: HTTPServerRequest, _ configuration: WebSocketConfiguration, _ run: @escaping Run
    ) -> HTTPServerResponse {
        switch WebSocketHandshake.accept(request.head, configuration) {
        case .failure(let refusal):
            return refusal.response
        case .success(let accepted):
            var response = accepted.response
            let subprotocol = accepted.subprotocol
            let deflate = accepted.deflate.map { SendableDeflate(agreement: $0.0, settings: $0.1) }
            response.takeover = { taken in await run(taken, subprotocol, deflate) }
            return response
        }
    }
}

/// The agreed compression, carried into the takeover closure.
struct SendableDeflate: Sendable {
    let agreement: DeflateAgreement
    let settings: WebSocketCompression
}
