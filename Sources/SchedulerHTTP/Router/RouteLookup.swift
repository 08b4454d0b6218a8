import HTTPTypes

extension HTTPRouter {
    /// Where a request goes: the outcome of looking it up.
    enum Lookup: Sendable {
        case asterisk
        case notFound
        case otherMethods(Set<String>)
        /// The route matched, but the named parameter is not valid percent-encoded UTF-8.
        case badParameter(String)
        case route(Route)

        /// Whether the request can be answered without suspending (no async handler on its way).
        var isSynchronous: Bool {
            if case .route(let route) = self { return route.sync != nil }
            return true
        }
    }

    /// Where `request` goes in `box`'s routes, and the context its route gets: the route's
    /// pattern, its parameters percent-decoded, what `**` matched (empty when no route matched).
    static func lookup(_ request: HTTPServerRequest, _ box: TrieBox) -> (Lookup, RouteContext) {
        lookup(request.method, request.path, box)
    }

    /// The same for a request's `method` and `path` (target), read once by the caller.
    static func lookup(_ method: HTTPRequest.Method, _ path: String?, _ box: TrieBox) -> (Lookup, RouteContext) {
        let target = path ?? "/"
        if target == "*" { return (.asterisk, RouteContext(route: "")) }
        return box.trie.match(targetPath(target)) { node, bytes, captures in
            guard let node else { return (.notFound, RouteContext(route: "")) }
            guard let route = node.value(for: method.rawValue) ?? (method == .head ? node.value(for: "GET") : nil)
            else {
                return (.otherMethods(Set(node.values.map(\.method))), RouteContext(route: ""))
            }
            var context = RouteContext(route: route.pattern)
            context.names = node.parameterNames
            for index in 0..<captures.parameters.count {
                let raw = UnsafeBufferPointer(rebasing: bytes[captures.parameters[index]])
                guard let value = PercentDecoding.decode(segment: raw) else {
                    return (.badParameter(node.parameterNames[index]), RouteContext(route: route.pattern))
                }
                context.values.append(value)
            }
            if let all = captures.catchAll {
                context.catchAll = String(decoding: UnsafeBufferPointer(rebasing: bytes[all]), as: UTF8.self)
            }
            return (.route(route), context)
        }
    }

    /// The answer to `request`: the route's handler called with `context`, or the router's own.
    @inline(__always)
    static func run(_ request: HTTPServerRequest, _ found: Lookup, _ context: RouteContext, _ box: TrieBox)
        async throws -> HTTPServerResponse
    {
        guard case .route(let route) = found else { return answer(request, found, box) }
        if let sync = route.sync { return try sync(request, context) }
        return try await route.handler(request, context)
    }

    /// The same, synchronously; nil when the route's handler is async.
    @inline(__always)
    static func runSync(_ request: HTTPServerRequest, _ found: Lookup, _ context: RouteContext, _ box: TrieBox)
        throws -> HTTPServerResponse?
    {
        guard case .route(let route) = found else { return answer(request, found, box) }
        return try route.sync?(request, context)
    }

    /// The router's own answer where no handler runs: 400, 404, 405 with `Allow`, `OPTIONS`.
    private static func answer(_ request: HTTPServerRequest, _ found: Lookup, _ box: TrieBox) -> HTTPServerResponse {
        switch found {
        case .asterisk:
            guard request.method == .options else { return .status(.badRequest, "* is a target for OPTIONS only") }
            var response = HTTPServerResponse(status: .ok)
            response.headerFields[.allow] = box.allMethods()
            return response
        case .notFound:
            return .status(.notFound)
        case .otherMethods(var methods):
            if methods.contains("GET") { methods.insert("HEAD") }
            if request.method == .options {
                var response = HTTPServerResponse(status: .noContent)
                response.headerFields[.allow] = (methods.union(["OPTIONS"])).sorted().joined(separator: ", ")
                return response
            }
            var response = HTTPServerResponse.status(.methodNotAllowed)
            response.headerFields[.allow] = methods.sorted().joined(separator: ", ")
            return response
        case .badParameter(let name):
            return .status(.badRequest, "bad percent-encoding in path parameter \(name)")
        case .route:
            preconditionFailure("a route's answer is its handler's")
        }
    }
}
