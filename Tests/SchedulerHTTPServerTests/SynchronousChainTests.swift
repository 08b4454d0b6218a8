import HTTPTypes
import SchedulerHTTP
import SchedulerPool
import Testing

/// The router's synchronous chain: used when a route's handler and every middleware in front of
/// it are synchronous, the async chain otherwise, with the same order and answers either way.
@Suite(.timeLimit(.minutes(2))) struct SynchronousChainTests {
    static let tags = HTTPField.Name("X-Tags")!

    /// Appends `name:sync` or `name:async` (which form ran) to `X-Tags` of the response; answers
    /// 401 itself when `refuse` is set and the request has no Authorization.
    struct Mark: HTTPSynchronousMiddleware {
        let name: String
        var refuse = false
        var rewrite: (from: String, to: String)?

        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
            -> HTTPServerResponse
        {
            if let early = early(request) { return early }
            return mark(try await next(rewritten(request), context), "async")
        }

        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
            -> HTTPServerResponse
        {
            if let early = early(request) { return early }
            return mark(try next(rewritten(request), context), "sync")
        }

        func early(_ request: HTTPServerRequest) -> HTTPServerResponse? {
            refuse && request.head.headerFields[.authorization] == nil ? .status(.unauthorized) : nil
        }

        func rewritten(_ request: HTTPServerRequest) -> HTTPServerRequest {
            guard let rewrite, request.head.path == rewrite.from else { return request }
            var request = request
            request.head.path = rewrite.to
            return request
        }

        func mark(_ response: HTTPServerResponse, _ form: String) -> HTTPServerResponse {
            var response = response
            let before = response.head.headerFields[SynchronousChainTests.tags].map { $0 + "," } ?? ""
            response.head.headerFields[SynchronousChainTests.tags] = before + name + ":" + form
            return response
        }
    }

    /// An async-only middleware (a plain HTTPMiddleware).
    struct Plain: HTTPMiddleware {
        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
            -> HTTPServerResponse
        {
            try await next(request, context)
        }
    }

    static func route(_ router: HTTPRouter, _ path: String, authorized: Bool = true) async throws
        -> (HTTPResponse.Status, String, String)
    {
        var head = HTTPRequest(method: .get, scheme: nil, authority: "a", path: path)
        if authorized { head.headerFields[.authorization] = "yes" }
        let response = try await router.route(HTTPServerRequest(head: head, localAddress: RouterTests.local))
        return (response.head.status, response.head.headerFields[tags] ?? "", RouterTests.body(response))
    }

    static func router(global: [any HTTPMiddleware]) throws -> HTTPRouter {
        var router = HTTPRouter()
        for middleware in global { router.use(middleware) }
        try router.get("/sync/:id") { _, context in "sync \(context["id"]!)" }
        try router.get("/async/:id") { _, context async in "async \(context["id"]!)" }
        try router.get("/routed", middleware: [Mark(name: "r")]) { _, _ in "routed" }
        try router.get("/mixed", middleware: [Plain(), Mark(name: "r")]) { _, _ in "mixed" }
        try router.group("/g", middleware: [Mark(name: "g")]) { group in
            group.get("/s") { _, _ in "group sync" }
            group.get("/a") { _, _ async in "group async" }
        }
        return router
    }

    @Test func aSynchronousHandlerBehindSynchronousMiddlewareRunsTheSynchronousChain() async throws {
        let router = try Self.router(global: [Mark(name: "1"), Mark(name: "2")])
        #expect(try await Self.route(router, "/sync/7") == (.ok, "2:sync,1:sync", "sync 7"))
        #expect(try await Self.route(router, "/routed") == (.ok, "r:sync,2:sync,1:sync", "routed"))
        #expect(try await Self.route(router, "/g/s") == (.ok, "g:sync,2:sync,1:sync", "group sync"))
        // 404 and 405 answers go through the synchronous chain too.
        #expect(try await Self.route(router, "/nowhere") == (.notFound, "2:sync,1:sync", "Not Found"))
    }

    @Test func anAsyncHandlerOrAnAsyncMiddlewareMakesTheChainAsync() async throws {
        let router = try Self.router(global: [Mark(name: "1"), Mark(name: "2")])
        #expect(try await Self.route(router, "/async/7") == (.ok, "2:async,1:async", "async 7"))
        #expect(try await Self.route(router, "/g/a") == (.ok, "g:async,2:async,1:async", "group async"))
        // The route's own chain has a plain middleware: the route runs async, global middleware too.
        #expect(try await Self.route(router, "/mixed") == (.ok, "r:async,2:async,1:async", "mixed"))
        let withPlain = try Self.router(global: [Mark(name: "1"), Plain()])
        #expect(try await Self.route(withPlain, "/sync/7") == (.ok, "1:async", "sync 7"))
    }

    @Test func anEarlyAnswerStopsTheSynchronousChain() async throws {
        let router = try Self.router(global: [Mark(name: "1"), Mark(name: "2", refuse: true), Mark(name: "3")])
        #expect(try await Self.route(router, "/sync/7", authorized: false) == (.unauthorized, "1:sync", "Unauthorized"))
        #expect(try await Self.route(router, "/async/7", authorized: false) == (.unauthorized, "1:async", "Unauthorized"))
        #expect(try await Self.route(router, "/sync/7") == (.ok, "3:sync,2:sync,1:sync", "sync 7"))
    }

    @Test func aSynchronousRewriteToAnAsyncRouteIs500NotAHang() async throws {
        let router = try Self.router(global: [Mark(name: "1", rewrite: ("/sync/1", "/async/2"))])
        let (status, tags, body) = try await Self.route(router, "/sync/1")
        #expect(status == .internalServerError && tags == "1:sync")
        #expect(body.contains("synchronous middleware changed the path to a route with an async handler"))
        // A rewrite to another synchronous route is followed.
        let toSync = try Self.router(global: [Mark(name: "1", rewrite: ("/sync/1", "/sync/2"))])
        #expect(try await Self.route(toSync, "/sync/1") == (.ok, "1:sync", "sync 2"))
    }
}
