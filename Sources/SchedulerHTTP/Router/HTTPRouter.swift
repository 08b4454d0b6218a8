public import HTTPTypes

/// Routes requests by method and path to handlers, through middleware.
///
/// Paths are made of literal segments, `:name` parameters (percent-decoded for the handler),
/// `*` (any one segment) and `**` (the rest of the path); the most specific route wins. A path
/// that no route matches gets 404; a path that matches under other methods gets 405 with
/// `Allow`; HEAD is answered by GET routes; `OPTIONS *` lists every method in use.
///
/// ```swift
/// var router = HTTPRouter()
/// router.get("/users/:id") { _, context in "user \(context["id"]!)" }
/// let response = try await router.route(request)  // in-process, without a server
/// ```
///
/// A router is a value: the server keeps the routes it was given, and changing a copy later
/// does not change what a running server serves.
public struct HTTPRouter: HTTPResponder {
    private var trie = TrieBox()
    private var middlewares: [any HTTPMiddleware] = [] {
        didSet { rebuildChains() }
    }
    private var chain: HTTPNext?
    /// The global middleware's synchronous chain, when every global middleware has one.
    private var syncChain: HTTPSyncHandler?

    /// An empty router.
    public init() {}

    /// Adds a middleware in front of every request (404 and 405 answers included), after the ones
    /// added before it.
    public mutating func use(_ middleware: some HTTPMiddleware) {
        middlewares.append(middleware)
    }

    /// Adds `handler` for `method` at `path`; `middleware` runs in front of it alone.
    public mutating func on<Result: HTTPResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) throws(RouterError) {
        let wrapped = middleware.wrapping { request, context in try await handler(request, context).response() }
        try add(method: method, path: path, handler: wrapped, sync: nil)
    }

    /// Adds a synchronous `handler` for `method` at `path`: it runs on the connection's loop thread
    /// with no async frame when every middleware in front of it is an ``HTTPSynchronousMiddleware``.
    public mutating func on<Result: HTTPResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) throws(RouterError) {
        let (wrapped, sync) = Route.synchronous(handler, middleware)
        try add(method: method, path: path, handler: wrapped, sync: sync)
    }

    /// Adds a GET route (which also answers HEAD).
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) throws(RouterError) {
        try on(.get, path, middleware: middleware, handler)
    }

    /// Adds a synchronous GET route (which also answers HEAD).
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) throws(RouterError) {
        try on(.get, path, middleware: middleware, handler)
    }

    /// Adds a POST route.
    public mutating func post<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) throws(RouterError) {
        try on(.post, path, middleware: middleware, handler)
    }

    /// Adds a synchronous POST route.
    public mutating func post<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) throws(RouterError) {
        try on(.post, path, middleware: middleware, handler)
    }

    /// Adds a PUT route.
    public mutating func put<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) throws(RouterError) {
        try on(.put, path, middleware: middleware, handler)
    }

    /// Adds a synchronous PUT route.
    public mutating func put<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) throws(RouterError) {
        try on(.put, path, middleware: middleware, handler)
    }

    /// Adds a DELETE route.
    public mutating func delete<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
    ) throws(RouterError) {
        try on(.delete, path, middleware: middleware, handler)
    }

    /// Adds a synchronous DELETE route.
    public mutating func delete<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result
    ) throws(RouterError) {
        try on(.delete, path, middleware: middleware, handler)
    }

    /// Adds the routes `build` registers under `prefix` (e.g. `/api/v1`), each behind `middleware`.
    public mutating func group(
        _ prefix: String, middleware: [any HTTPMiddleware] = [], _ build: (inout HTTPRouteGroup) throws -> Void
    ) throws {
        var group = HTTPRouteGroup(prefix: prefix, middleware: middleware)
        try build(&group)
        for route in group.routes {
            try add(method: route.method, path: route.path, handler: route.handler, sync: route.sync)
        }
    }

    /// Answers `request` as a server would: the seed's `router.route(&request)`, usable without
    /// a server (and how routes are unit-tested in-process).
    public func route(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        try await respond(to: request)
    }

    /// Runs the middleware chain and the matching route. Global middleware gets the context of
    /// the route the request matches as it arrives (``RouteContext/route`` and the parameters;
    /// empty when none matches), e.g. to label metrics by route; a middleware that changes the
    /// request's path changes where it goes, and the route sees its own context.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let method = request.method
        let path = request.path
        var (found, context) = HTTPRouter.lookup(method, path, trie)
        guard let chain else { return try await HTTPRouter.run(request, found, context, trie) }
        context.arrival = RouteArrival(method: method, path: path, lookup: found)
        if let syncChain, found.isSynchronous { return try syncChain(request, context) }
        return try await chain(request, context)
    }

    /// Answers `request` when its route's handler and every middleware in front of it are
    /// synchronous (the server then calls no async function for it); nil otherwise.
    public func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? {
        // A router of async handlers only is not looked up twice.
        guard trie.hasSynchronousRoutes else { return nil }
        let method = request.method
        let path = request.path
        var (found, context) = HTTPRouter.lookup(method, path, trie)
        guard found.isSynchronous else { return nil }
        guard chain != nil else { return try HTTPRouter.runSync(request, found, context, trie) }
        guard let syncChain else { return nil }
        context.arrival = RouteArrival(method: method, path: path, lookup: found)
        return try syncChain(request, context)
    }

    private mutating func rebuildChains() {
        chain = HTTPRouter.chain(middlewares, trie)
        syncChain = middlewares.isEmpty ? nil : HTTPRouter.syncChain(middlewares, trie)
    }

    /// The global middleware in front of the route dispatch, built when a middleware or route is
    /// added (never per request). The dispatch reuses the lookup made on arrival, and the context
    /// the middleware passed on, unless a middleware changed the method or the path.
    private static func chain(_ middlewares: [any HTTPMiddleware], _ box: TrieBox) -> HTTPNext? {
        if middlewares.isEmpty { return nil }
        return middlewares.wrapping { request, context in
            if let arrival = context.arrival, arrival.matches(request) {
                return try await HTTPRouter.run(request, arrival.lookup, context, box)
            }
            let (found, fresh) = HTTPRouter.lookup(request, box)
            return try await HTTPRouter.run(request, found, fresh, box)
        }
    }

    /// The synchronous form of ``chain(_:_:)``. A synchronous middleware does not change the
    /// method or path; if one did anyway and the new target has only an async handler, the answer
    /// is 500 (the chain cannot suspend).
    private static func syncChain(_ middlewares: [any HTTPMiddleware], _ box: TrieBox) -> HTTPSyncHandler? {
        middlewares.wrappingSync { request, context in
            let response: HTTPServerResponse?
            if let arrival = context.arrival, arrival.matches(request) {
                response = try HTTPRouter.runSync(request, arrival.lookup, context, box)
            } else {
                let (found, fresh) = HTTPRouter.lookup(request, box)
                response = try HTTPRouter.runSync(request, found, fresh, box)
            }
            guard let response else {
                return .status(
                    .internalServerError, "a synchronous middleware changed the path to a route with an async handler")
            }
            return response
        }
    }

    private mutating func add(
        method: HTTPRequest.Method, path: String, handler: @escaping HTTPNext, sync: HTTPSyncHandler?
    ) throws(RouterError) {
        guard path.first == "/" else { throw .invalidPattern(path, "a route path starts with /") }
        chain = nil  // they hold the trie too: let a router nobody shares change its trie in place
        syncChain = nil
        if !isKnownUniquelyReferenced(&trie) { trie = trie.copy() }
        try trie.trie.insert(path: path, method: method.rawValue, value: Route(pattern: path, handler: handler, sync: sync))
        trie.methods.insert(method.rawValue)
        if sync != nil { trie.hasSynchronousRoutes = true }
        rebuildChains()
    }
}

/// One registered route (a class: a request's lookup and context hold it with one reference).
final class Route: Sendable {
    let pattern: String
    /// The handler behind the route's middleware.
    let handler: HTTPNext
    /// The same, all synchronous, when the handler and every middleware of the route are.
    let sync: HTTPSyncHandler?

    init(pattern: String, handler: @escaping HTTPNext, sync: HTTPSyncHandler?) {
        self.pattern = pattern
        self.handler = handler
        self.sync = sync
    }

    /// The async and (when the middleware allows) synchronous chains of a synchronous handler.
    static func synchronous<Result: HTTPResponseConvertible>(
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) throws -> Result,
        _ middleware: [any HTTPMiddleware]
    ) -> (HTTPNext, HTTPSyncHandler?) {
        let terminal: HTTPSyncHandler = { request, context in try handler(request, context).response() }
        return (middleware.wrapping { request, context in try terminal(request, context) }, middleware.wrappingSync(terminal))
    }
}

/// The trie behind a router value, copied before a change when another value shares it.
final class TrieBox: @unchecked Sendable {
    // @unchecked: never changed while shared (HTTPRouter copies it first), so reads need no lock
    // and no dynamic exclusivity check per request.
    @exclusivity(unchecked) var trie = RouteTrie<Route>()
    @exclusivity(unchecked) var methods: Set<String> = []
    /// Whether any route has a synchronous handler (else no request is tried synchronously).
    @exclusivity(unchecked) var hasSynchronousRoutes = false

    func copy() -> TrieBox {
        let copy = TrieBox()
        copy.trie = RouteTrie(root: Self.copy(trie.root))
        copy.methods = methods
        copy.hasSynchronousRoutes = hasSynchronousRoutes
        return copy
    }

    func allMethods() -> String {
        var all = methods.union(["OPTIONS"])
        if all.contains("GET") { all.insert("HEAD") }
        return all.sorted().joined(separator: ", ")
    }

    private static func copy(_ node: RouteTrie<Route>.Node) -> RouteTrie<Route>.Node {
        let copy = RouteTrie<Route>.Node()
        copy.literals = node.literals.map { Self.copy($0) }
        copy.parameter = node.parameter.map { ($0.name, Self.copy($0.node)) }
        copy.wildcard = node.wildcard.map { Self.copy($0) }
        copy.catchAll = node.catchAll.map { Self.copy($0) }
        copy.values = node.values
        return copy
    }
}
