import HTTPTypes
import Testing

@testable import SchedulerHTTP

/// `HTTPResponder.respondSynchronously(to:)`: the server asks it first and calls `respond(to:)`
/// only when it gives nil; closures that do not await, routers whose route and middleware are
/// synchronous, and virtual hosts answer there; async ones say nil.
@Suite(.timeLimit(.minutes(1))) struct SynchronousResponderTests {
    /// Answers "sync" synchronously for `/sync`, else nil; "async" from `respond(to:)`. (Two
    /// different answers, against the contract, so that the test sees which one the server used.)
    struct TwoWays: HTTPResponder {
        func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse { .text("async") }
        func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? {
            request.path == "/sync" ? .text("sync") : nil
        }
    }

    @Test func theServerTriesTheSynchronousAnswerFirst() async throws {
        try await MW.withRouterServer(TwoWays()) { port in
            let sync = try await MW.exchange(port, "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(sync.text == "sync")
            let other = try await MW.exchange(port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(other.text == "async")
        }
    }

    @Test func closuresThatDoNotAwaitAreSynchronous() async throws {
        let sync = HTTPClosureResponder { request in .text("sync \(request.path ?? "")") }
        let async = HTTPClosureResponder { _ in
            await Task.yield()
            return .text("async")
        }
        let request = MW.request(.get, "/a")
        #expect(try sync.respondSynchronously(to: request).map { String(decoding: $0.body.bytes!, as: UTF8.self) }
            == "sync /a")
        #expect(try async.respondSynchronously(to: request) == nil)
        #expect(try await async.respond(to: request).body.bytes == Array("async".utf8))
        #expect(try await sync.respond(to: request).body.bytes == Array("sync /a".utf8))
    }

    @Test func routersAnswerSynchronouslyWhereNothingOnTheWayAwaits() async throws {
        struct Suspends: HTTPMiddleware {
            func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
                -> HTTPServerResponse
            {
                await Task.yield()
                return try await next(request, context)
            }
        }
        var router = HTTPRouter()
        router.use(RequestIDMiddleware())
        try router.get("/sync") { _, _ in "sync" }
        try router.get("/async") { _, _ async in "async" }
        try router.get("/slow", middleware: [Suspends()]) { _, _ in "slow" }
        let sync = try router.respondSynchronously(to: MW.request(.get, "/sync"))
        #expect(sync?.body.bytes == Array("sync".utf8) && sync?.headerFields[RequestIDMiddleware.fieldName] != nil)
        #expect(try router.respondSynchronously(to: MW.request(.get, "/async")) == nil)
        #expect(try router.respondSynchronously(to: MW.request(.get, "/slow")) == nil)
        #expect(try router.respondSynchronously(to: MW.request(.get, "/none"))?.status == .notFound)
        #expect(try router.respondSynchronously(to: MW.request(.post, "/sync"))?.status == .methodNotAllowed)
        // With a global middleware that has no synchronous form, nothing is answered synchronously.
        var slowRouter = HTTPRouter()
        slowRouter.use(Suspends())
        try slowRouter.get("/sync") { _, _ in "sync" }
        #expect(try slowRouter.respondSynchronously(to: MW.request(.get, "/sync")) == nil)
        // Only async routes: the router is not looked up twice per request.
        var asyncOnly = HTTPRouter()
        try asyncOnly.get("/async") { _, _ async in "async" }
        #expect(try asyncOnly.respondSynchronously(to: MW.request(.get, "/none")) == nil)
        var sites = VirtualHosts(fallback: router)
        sites.add(host: "a.test", asyncOnly)
        #expect(try sites.respondSynchronously(to: MW.request(.get, "/sync"))?.body.bytes == Array("sync".utf8))
        try await MW.withRouterServer(sites) { port in
            for (path, host, text) in [("/sync", "x", "sync"), ("/async", "x", "async"), ("/slow", "x", "slow"),
                                       ("/async", "a.test", "async")] {
                let answer = try await MW.exchange(port, "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                #expect(answer.status == 200 && answer.text == text, "\(host)\(path)")
            }
        }
    }
}
