public import HTTPTypes

/// Routes registered under a common prefix and middleware; see ``HTTPRouter/group(_:middleware:_:)``.
public struct HTTPRouteGroup {
    let prefix: String
    let middleware: [any HTTPMiddleware]
    private(set) var routes: [(method: HTTPRequest.Method, path: String, handler: HTTPNext, sync: HTTPSyncHandler?)] = []

    init(prefix: String, middleware: [any HTTPMiddleware]) {
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.middleware = middleware
    }

    /// Adds `handler` for `method` at the group's prefix followed by `path`.
    public mutating func on<Result: HTTPResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, middleware routeMiddleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) {
        let wrapped = (middleware + routeMiddleware).wrapping { request, context in
            try await handler(request, context).response()
        }
        routes.append((method, fullPath(path), wrapped, nil))
    }

    /// Adds a synchronous `handler` for `method` at the group's prefix followed by `path`.
    public mutating func on<Result: HTTPResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, middleware routeMiddleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) {
        let (wrapped, sync) = Route.synchronous(handler, middleware + routeMiddleware)
        routes.append((method, fullPath(path), wrapped, sync))
    }

    private func fullPath(_ path: String) -> String { prefix + (path == "/" ? "" : path) }

    /// Adds a GET route under the prefix.
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) {
        on(.get, path, middleware: middleware, handler)
    }

    /// Adds a synchronous GET route under the prefix.
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) {
        on(.get, path, middleware: middleware, handler)
    }

    /// Adds a POST route under the prefix.
    public mutating func post<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) {
        on(.post, path, middleware: middleware, handler)
    }

    /// Adds a synchronous POST route under the prefix.
    public mutating func post<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) {
        on(.post, path, middleware: middleware, handler)
    }

    /// A nested group: its prefix follows this one's, its middleware runs after this one's.
    public mutating func group(
        _ prefix: String, middleware: [any HTTPMiddleware] = [], _ build: (inout HTTPRouteGroup) throws -> Void
    ) rethrows {
        var inner = HTTPRouteGroup(prefix: self.prefix + prefix, middleware: self.middleware + middleware)
        try build(&inner)
        routes += inner.routes
    }
}
