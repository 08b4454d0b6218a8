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
        didSet { chain = HTTPRouter.chain(middlewares, trie) }
    }
    private var chain: HTTPNext?

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
        try add(method: method, path: path, handler: wrapped)
    }

    /// Adds a GET route (which also answers HEAD).
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
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

    /// Adds a PUT route.
    public mutating func put<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
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

    /// Adds the routes `build` registers under `prefix` (e.g. `/api/v1`), each behind `middleware`.
    public mutating func group(
        _ prefix: String, middleware: [any HTTPMiddleware] = [], _ build: (inout HTTPRouteGroup) throws -> Void
    ) throws {
        var group = HTTPRouteGroup(prefix: prefix, middleware: middleware)
        try build(&group)
        for route in group.routes {
            try add(method: route.method, path: route.path, handler: route.handler)
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
        return try await chain(request, context)
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
            return .handler(route.handler, context)
        }
    }

    /// A request's dispatch: a ready answer, or a route handler to call with its context.
    private enum Dispatch {
        case answer(HTTPServerResponse)
        case handler(HTTPNext, RouteContext)

        /// The answer, or the handler's.
        @inline(__always) func run(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
            switch self {
            case .answer(let response): return response
            case .handler(let handler, let context): return try await handler(request, context)
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
    }

    private mutating func add(method: HTTPRequest.Method, path: String, handler: @escaping HTTPNext) throws(RouterError) {
        guard path.first == "/" else { throw .invalidPattern(path, "a route path starts with /") }
        chain = nil  // it holds the trie too: let a router nobody shares change its trie in place
        if !isKnownUniquelyReferenced(&trie) { trie = trie.copy() }
        try trie.trie.insert(path: path, method: method.rawValue, value: Route(pattern: path, handler: handler))
        trie.methods.insert(method.rawValue)
        chain = HTTPRouter.chain(middlewares, trie)
    }
}

/// One registered route.
struct Route: Sendable {
    let pattern: String
    let handler: HTTPNext
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

/// Routes registered under a common prefix and middleware; see ``HTTPRouter/group(_:middleware:_:)``.
public struct HTTPRouteGroup {
    let prefix: String
    let middleware: [any HTTPMiddleware]
    fileprivate(set) var routes: [(method: HTTPRequest.Method, path: String, handler: HTTPNext)] = []

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
        routes.append((method, prefix + (path == "/" ? "" : path), wrapped))
    }

    /// Adds a GET route under the prefix.
    public mutating func get<Result: HTTPResponseConvertible>(
        _ path: String, middleware: [any HTTPMiddleware] = [],
        _ handler: @escaping @Sendable (HTTPServerRequest, RouteContext) async throws -> Result
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

    /// A nested group: its prefix follows this one's, its middleware runs after this one's.
    public mutating func group(
        _ prefix: String, middleware: [any HTTPMiddleware] = [], _ build: (inout HTTPRouteGroup) throws -> Void
    ) rethrows {
        var inner = HTTPRouteGroup(prefix: self.prefix + prefix, middleware: self.middleware + middleware)
        try build(&inner)
        routes += inner.routes
    }
}
