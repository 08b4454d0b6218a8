import HTTPTypes
import MetricsTestKit
import SchedulerHTTP
import Testing

/// MetricsMiddleware: request counters by method and status class, and a latency timer.
@Suite struct MiddlewareMetricsTests {
    @Test func countsRequestsByStatusClassAndTimesThem() async throws {
        struct Boom: Error {}
        let metrics = TestMetrics()
        var router = HTTPRouter()
        router.use(MetricsMiddleware(factory: metrics))
        try router.get("/ok") { _, _ in "ok" }
        try router.get("/fail") { _, _ -> String in throw Boom() }
        try router.post("/made") { _, _ in HTTPServerResponse(status: .created) }
        _ = try await router.route(MW.request(.get, "/ok"))
        _ = try await router.route(MW.request(.get, "/ok"))
        _ = try await router.route(MW.request(.get, "/missing"))
        _ = try await router.route(MW.request(.post, "/made"))
        await #expect(throws: Boom.self) { try await router.route(MW.request(.get, "/fail")) }

        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("status", "2xx")]).totalValue == 2)
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("status", "4xx")]).totalValue == 1)
        #expect(try metrics.expectCounter("http.requests", [("method", "GET"), ("status", "5xx")]).totalValue == 1)
        #expect(try metrics.expectCounter("http.requests", [("method", "POST"), ("status", "2xx")]).totalValue == 1)
        let timer = try metrics.expectTimer("http.request.duration", [("method", "GET"), ("status", "2xx")])
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
        let timer = try metrics.expectTimer("api.request.duration", [("method", "GET"), ("status", "2xx")])
        #expect(try #require(timer.lastValue) >= 50_000_000)
    }
}
