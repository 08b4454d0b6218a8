/// The rest of a middleware chain: the next middleware, and at its end the route's handler.
public typealias HTTPNext = @Sendable (HTTPServerRequest, RouteContext) async throws -> HTTPServerResponse

/// A step in front of handlers: it may answer without calling `next`, change the request
/// before passing it on, or change the response that comes back.
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`, calling `next` to go on down the chain.
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
}

/// A middleware made from a closure.
public struct HTTPClosureMiddleware: HTTPMiddleware {
    let body: @Sendable (HTTPServerRequest, RouteContext, HTTPNext) async throws -> HTTPServerResponse

    /// Wraps `body`.
    public init(
        _ body: @escaping @Sendable (HTTPServerRequest, RouteContext, HTTPNext) async throws -> HTTPServerResponse
    ) {
        self.body = body
    }

    /// Calls the closure.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        try await body(request, context, next)
    }
}

extension Array where Element == any HTTPMiddleware {
    /// The handler wrapped in these middlewares, the first registered outermost.
    func wrapping(_ handler: @escaping HTTPNext) -> HTTPNext {
        reversed().reduce(handler) { next, middleware in
            { request, context in try await middleware.handle(request, context: context, next: next) }
        }
    }
}
