/// The rest of a synchronous middleware chain: the next middleware, and at its end the route's
/// synchronous handler.
public typealias HTTPSyncNext = (HTTPServerRequest, RouteContext) throws -> HTTPServerResponse

/// A synchronous route handler, as the router keeps it.
typealias HTTPSyncHandler = @Sendable (HTTPServerRequest, RouteContext) throws -> HTTPServerResponse

/// A middleware that can also run synchronously: when a request's route has a synchronous handler
/// and every middleware in front of it is one of these, the router runs the whole chain as plain
/// function calls (no async frame, no executor check per step) on the connection's loop thread.
///
/// Both `handle` forms must behave the same; the async one runs when anything in the chain is
/// async. A synchronous middleware may answer early, change header fields, or transform the
/// response, but must not change the request's method or path: a rewrite needs the async form
/// alone (a plain ``HTTPMiddleware``), because the route was chosen before the chain ran.
public protocol HTTPSynchronousMiddleware: HTTPMiddleware {
    /// Handles `request` synchronously, calling `next` to go on down the chain.
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
}

extension Array where Element == any HTTPMiddleware {
    /// The synchronous handler wrapped in these middlewares (the first registered outermost), or
    /// nil when one of them has no synchronous form.
    func wrappingSync(_ handler: @escaping HTTPSyncHandler) -> HTTPSyncHandler? {
        var wrapped = handler
        for middleware in reversed() {
            guard let synchronous = middleware as? any HTTPSynchronousMiddleware else { return nil }
            wrapped = Self.wrap(synchronous, wrapped)
        }
        return wrapped
    }

    private static func wrap<M: HTTPSynchronousMiddleware>(_ middleware: M, _ next: @escaping HTTPSyncHandler)
        -> HTTPSyncHandler
    {
        { request, context in try middleware.handle(request, context: context, next: next) }
    }
}
