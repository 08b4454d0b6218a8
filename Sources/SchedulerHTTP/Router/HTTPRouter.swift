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
        let found = HTTPRouter.lookup(request, trie)
        guard let chain else { return try await HTTPRouter.dispatch(request, found, trie, context: nil).run(request) }
        var context = RouteContext()
        var decoded = false
        if case .route(let route, let match) = found {
            if let routeContext = HTTPRouter.context(of: route, match) {
                context = routeContext
                decoded = true
            } else {
                context = RouteContext(route: route.pattern)
            }
        }
        context.arrival = RouteArrival(
            method: request.head.method, path: request.head.path, lookup: found, decoded: decoded)
        if let syncChain, found.isSynchronous { return try syncChain(request, context) }
        return try await chain(request, context)
    }

    private mutating func rebuildChains() {
        chain = HTTPRouter.chain(middlewares, trie)
        syncChain = middlewares.isEmpty ? nil : HTTPRouter.syncChain(middlewares, trie)
    }

    /// The global middleware in front of the route dispatch, built when a middleware or route is
    /// added (never per request). The dispatch reuses the lookup made on arrival unless a
    /// middleware changed the method or the path.
    private static func chain(_ middlewares: [any HTTPMiddleware], _ box: TrieBox) -> HTTPNext? {
        if middlewares.isEmpty { return nil }
        return middlewares.wrapping { request, context in
            if let arrival = context.arrival, arrival.method == request.head.method,
                arrival.path == request.head.path
            {
                return try await HTTPRouter.dispatch(
                    request, arrival.lookup, box, context: arrival.decoded ? context : nil
                ).run(request)
            }
            return try await HTTPRouter.dispatch(request, HTTPRouter.lookup(request, box), box, context: nil)
                .run(request)
        }
    }

    /// The synchronous form of ``chain(_:_:)``. A synchronous middleware does not change the
    /// method or path; if one did anyway and the new target has only an async handler, the answer
    /// is 500 (the chain cannot suspend).
    private static func syncChain(_ middlewares: [any HTTPMiddleware], _ box: TrieBox) -> HTTPSyncHandler? {
        middlewares.wrappingSync { request, context in
            let dispatch: Dispatch
            if let arrival = context.arrival, arrival.method == request.head.method,
                arrival.path == request.head.path
            {
                dispatch = HTTPRouter.dispatch(request, arrival.lookup, box, context: arrival.decoded ? context : nil)
            } else {
                dispatch = HTTPRouter.dispatch(request, HTTPRouter.lookup(request, box), box, context: nil)
            }
            guard let response = try dispatch.runSync(request) else {
                return .status(
                    .internalServerError, "a synchronous middleware changed the path to a route with an async handler")
            }
            return response
        }
    }

    /// What `found` says to do with `request`: answer it, or call a matched route's handler with
    /// `context` when given, else the context made from the match. Synchronous, so the handler is
    /// called from the chain's own frame (one async call fewer per request).
    private static func dispatch(_ request: HTTPServerRequest, _ found: Lookup, _ box: TrieBox, context: RouteContext?)
        -> Dispatch
    {
        switch found {
        case .asterisk:
            guard request.head.method == .options else {
                return .answer(.status(.badRequest, "* is a target for OPTIONS only"))
            }
            var response = HTTPServerResponse(status: .ok)
            response.head.headerFields[.allow] = box.allMethods()
            return .answer(response)
        case .notFound:
            return .answer(.status(.notFound))
        case .otherMethods(var methods):
            if methods.contains("GET") { methods.insert("HEAD") }
            if request.head.method == .options {
                var response = HTTPServerResponse(status: .noContent)
                response.head.headerFields[.allow] = (methods.union(["OPTIONS"])).sorted().joined(separator: ", ")
                return .answer(response)
            }
            var response = HTTPServerResponse.status(.methodNotAllowed)
            response.head.headerFields[.allow] = methods.sorted().joined(separator: ", ")
            return .answer(response)
        case .route(let route, let match):
            guard let context = context ?? self.context(of: route, match) else {
                let name = match.parameters.first { PercentDecoding.decode(String($0.1)) == nil }?.0 ?? ""
                return .answer(.status(.badRequest, "bad percent-encoding in path parameter \(name)"))
            }
            return .handler(route, context)
        }
    }

    /// A request's dispatch: a ready answer, or a route handler to call with its context.
    private enum Dispatch {
        case answer(HTTPServerResponse)
        case handler(Route, RouteContext)

        /// The answer, or the handler's.
        @inline(__always) func run(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
            switch self {
            case .answer(let response): return response
            case .handler(let route, let context):
                if let sync = route.sync { return try sync(request, context) }
                return try await route.handler(request, context)
            }
        }

        /// The answer, or the synchronous handler's; nil when the route's handler is async.
        @inline(__always) func runSync(_ request: HTTPServerRequest) throws -> HTTPServerResponse? {
            switch self {
            case .answer(let response): return response
            case .handler(let route, let context): return try route.sync?(request, context)
            }
        }
    }

    /// Where `request` goes in `box`'s routes.
    private static func lookup(_ request: HTTPServerRequest, _ box: TrieBox) -> Lookup {
        let target = request.head.path ?? "/"
        if target == "*" { return .asterisk }
        let path = targetPath(target)
        guard let match = box.trie.match(path) else { return .notFound }
        let method = request.head.method
        guard let route = match.values[method.rawValue] ?? (method == .head ? match.values["GET"] : nil) else {
            return .otherMethods(Set(match.values.keys))
        }
        return .route(route, match)
    }

    /// The context a matched route gets: its pattern, parameters percent-decoded (nil when one
    /// does not decode) and what `**` matched.
    private static func context(of route: Route, _ match: RouteTrie<Route>.Match) -> RouteContext? {
        var context = RouteContext(route: route.pattern)
        for (name, raw) in match.parameters {
            guard let value = PercentDecoding.decode(String(raw)) else { return nil }
            context.parameters[name] = value
        }
        context.catchAll = match.catchAll.map(String.init)
        return context
    }

    /// The outcome of looking a request up.
    enum Lookup: Sendable {
        case asterisk
        case notFound
        case otherMethods(Set<String>)
        case route(Route, RouteTrie<Route>.Match)

        /// Whether the request can be answered without suspending (no async handler on its way).
        var isSynchronous: Bool {
            if case .route(let route, _) = self { return route.sync != nil }
            return true
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
        rebuildChains()
    }
}

/// One registered route.
struct Route: Sendable {
    let pattern: String
    /// The handler behind the route's middleware.
    let handler: HTTPNext
    /// The same, all synchronous, when the handler and every middleware of the route are.
    let sync: HTTPSyncHandler?

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
    // @unchecked: never changed while shared (HTTPRouter copies it first), so reads need no lock.
    var trie = RouteTrie<Route>()
    var methods: Set<String> = []

    func copy() -> TrieBox {
        let copy = TrieBox()
        copy.trie = RouteTrie(root: Self.copy(trie.root))
        copy.methods = methods
        return copy
    }

    func allMethods() -> String {
        var all = methods.union(["OPTIONS"])
        if all.contains("GET") { all.insert("HEAD") }
        return all.sorted().joined(separator: ", ")
    }

    private static func copy(_ node: RouteTrie<Route>.Node) -> RouteTrie<Route>.Node {
        let copy = RouteTrie<Route>.Node()
        copy.literals = node.literals.mapValues { Self.copy($0) }
        copy.parameter = node.parameter.map { ($0.name, Self.copy($0.node)) }
        copy.wildcard = node.wildcard.map { Self.copy($0) }
        copy.catchAll = node.catchAll.map { Self.copy($0) }
        copy.values = node.values
        return copy
    }
}
