import HTTPTypes
import MetricsTestKit
import SchedulerHTTP
import Testing

/// MetricsMiddleware: request counters by method and status class, and a latency timer.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareMetricsTests {
    @Test(arguments: [false, true]) func countsRequestsByStatusClassAndTimesThem(_ asyncChain: Bool) async throws {
        struct Boom: Error {}
        let metrics = TestMetrics()
        var router = HTTPRouter()
        if asyncChain { router.use(MW.AsyncOnly()) }
        router.use(MetricsMiddleware(factory: metrics))
        try router.get("/ok") { _, _ in "ok" }
        try router.get("/fail") { _, _ -> String in throw Boom() }
        try router.post("/made") { _, _ in HTTPServerResponse(status: .created) }
        _ = try await router.route(MW.request(.get, "/ok"))
        _ = try await router.route(MW.request(.get, "/ok"))
        _ = try await router.route(MW.request(.get, "/missing"))
        _ = try await router.route(MW.request(.post, "/made"))
        await #expect(throws: Boom.self) { try await router.route(MW.request(.get, "/fail")) }

        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("route", "/ok"), ("status", "2xx")]).totalValue == 2)
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("route", "unmatched"), ("status", "4xx")]).totalValue == 1)
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("route", "/fail"), ("status", "5xx")]).totalValue == 1)
        #expect(try metrics.expectCounter("http.requests", [("method", "POST"), ("route", "/made"), ("status", "2xx")]).totalValue == 1)
        let timer = try metrics.expectTimer("http.request.duration", [("method", "GET"), ("route", "/ok"), ("status", "2xx")])
        #expect(timer.values.count == 2)
        #expect(timer.values.allSatisfy { $0 > 0 && $0 < 5_000_000_000 })
    }

    @Test func slowRequestIsTimedAsSlow() async throws {
        let metrics = TestMetrics()
        var router = HTTPRouter()
        router.use(MetricsMiddleware(prefix: "api", factory: metrics))
        try router.get("/slow") { _, _ in
            try await Task.sleep(for: .milliseconds(50))
            return "slow"
        }
        _ = try await router.route(MW.request(.get, "/slow"))
        let timer = try metrics.expectTimer("api.request.duration", [("method", "GET"), ("route", "/slow"), ("status", "2xx")])
        #expect(try #require(timer.lastValue) >= 50_000_000)
    }

    @Test("global middleware sees the matched route: one series per route pattern, not per path")
    func labelsByRoutePattern() async throws {
        let metrics = TestMetrics()
        var router = HTTPRouter()
        router.use(MetricsMiddleware(factory: metrics))
        let seen = RouteLog()
        router.use(RouteRecordingMiddleware(log: seen))
        try router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
        try router.get("/files/**") { _, context in context.catchAll ?? "" }
        _ = try await router.route(MW.request(.get, "/users/1"))
        _ = try await router.route(MW.request(.get, "/users/a%20b"))
        _ = try await router.route(MW.request(.get, "/files/a/b"))
        _ = try await router.route(MW.request(.post, "/users/1"))
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("route", "/users/:id"), ("status", "2xx")]).totalValue == 2)
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("route", "/files/**"), ("status", "2xx")]).totalValue == 1)
        #expect(try metrics.expectCounter("http.requests", [("method", "POST"), ("route", "unmatched"), ("status", "4xx")]).totalValue == 1)
        #expect(seen.entries == ["/users/:id id=1", "/users/:id id=a b", "/files/** rest=a/b", " "])
    }
}

/// What a global middleware saw of the route before calling `next`.
final class RouteLog: @unchecked Sendable {
    // @unchecked: written by one request at a time (the test awaits each).
    var entries: [String] = []
}

/// Records `context.route` and its parameters as a global middleware sees them.
struct RouteRecordingMiddleware: HTTPMiddleware {
    let log: RouteLog
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws -> HTTPServerResponse {
        let detail = context["id"].map { "id=\($0)" } ?? context.catchAll.map { "rest=\($0)" } ?? ""
        log.entries.append("\(context.route) \(detail)")
        return try await next(request, context)
    }
}
