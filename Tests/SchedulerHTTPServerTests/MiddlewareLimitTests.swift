import HTTPTypes
import SchedulerHTTP
import Synchronization
import Testing

/// RequestBodyLimitMiddleware (413 per route) and RequestTimeoutMiddleware (503, handler cancelled).
@Suite(.timeLimit(.minutes(2))) struct MiddlewareLimitTests {
    final class Flag: Sendable {
        let value = Atomic<Int>(0)
        func set(_ v: Int) { value.store(v, ordering: .sequentiallyConsistent) }
        var get: Int { value.load(ordering: .sequentiallyConsistent) }
    }

    static func router(_ called: Flag = Flag(), cancelled: Flag = Flag()) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.post("/small", middleware: [RequestBodyLimitMiddleware(maxBytes: 10)]) { request, _ in
            called.set(1)
            return "got \(try await request.body.collect(upTo: 1 << 20).count)"
        }
        try router.post("/large") { request, _ in "got \(try await request.body.collect(upTo: 1 << 20).count)" }
        try router.group("/timed", middleware: [RequestTimeoutMiddleware(timeout: .milliseconds(100))]) { group in
            group.get("/fast") { _, _ in "fast" }
            group.get("/slow") { _, _ in
                do {
                    try await Task.sleep(for: .seconds(10))
                } catch {
                    cancelled.set(1)
                    throw error
                }
                return "slow"
            }
        }
        return router
    }

    @Test func declaredLengthOverTheRouteLimitIs413WithoutTheHandler() async throws {
        let called = Flag()
        let router = try Self.router(called)
        let body = [UInt8](repeating: 65, count: 11)
        let over = try await router.route(MW.request(.post, "/small", [.contentLength: "11"], body: body))
        #expect(over.head.status == .contentTooLarge)
        #expect(called.get == 0)
        let within = try await router.route(
            MW.request(.post, "/small", [.contentLength: "10"], body: Array(body.prefix(10))))
        #expect(try await MW.bytes(within) == Array("got 10".utf8))
        // Another route has no such limit.
        let other = try await router.route(MW.request(.post, "/large", [.contentLength: "11"], body: body))
        #expect(try await MW.bytes(other) == Array("got 11".utf8))
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        let called = Flag()
        let router = try Self.router(called)
        let over = try await router.route(
            MW.request(.post, "/small", [.transferEncoding: "chunked"], body: [UInt8](repeating: 1, count: 11)))
        #expect(over.head.status == .contentTooLarge)
        #expect(called.get == 0)
        let within = try await router.route(
            MW.request(.post, "/small", [.transferEncoding: "chunked"], body: [UInt8](repeating: 1, count: 9)))
        #expect(try await MW.bytes(within) == Array("got 9".utf8))
    }

    @Test func bodyLimitOverALoopbackServer() async throws {
        try await MW.withRouterServer(try Self.router()) { port in
            let (declared, chunked, fine) = try await MW.offPool {
                let a = try RawClient(port: port)
                try a.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789")
                let declared = try a.readResponse()
                let closed = a.readsEndOfStream()
                let b = try RawClient(port: port)
                try b.send(
                    "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n"
                )
                let chunked = try b.readResponse()
                let c = try RawClient(port: port)
                try c.send(
                    "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n")
                return ((declared, closed), chunked, try c.readResponse())
            }
            #expect(declared.0.status == 413)
            #expect(declared.1)
            #expect(chunked.status == 413)
            #expect(fine.text == "got 4")
        }
    }

    @Test func slowHandlerGets503AndIsCancelled() async throws {
        let cancelled = Flag()
        let router = try Self.router(cancelled: cancelled)
        let start = ContinuousClock.now
        let response = try await router.route(MW.request(.get, "/timed/slow"))
        let elapsed = ContinuousClock.now - start
        #expect(response.head.status == .serviceUnavailable)
        #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(3))
        #expect(cancelled.get == 1)
        let fast = try await router.route(MW.request(.get, "/timed/fast"))
        #expect(fast.head.status == .ok)
    }

    @Test func timeoutOverALoopbackServer() async throws {
        try await MW.withRouterServer(try Self.router()) { port in
            let response = try await MW.offPool {
                let client = try RawClient(port: port)
                try client.send("GET /timed/slow HTTP/1.1\r\nHost: x\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 503)
            #expect(response.field("Connection") == "close")
        }
    }

    @Test func handlerErrorsPassThroughTheTimeout() async throws {
        struct Boom: Error {}
        var router = HTTPRouter()
        try router.get("/x", middleware: [RequestTimeoutMiddleware(timeout: .seconds(5))]) { _, _ -> String in
            throw Boom()
        }
        await #expect(throws: Boom.self) { try await router.route(MW.request(.get, "/x")) }
    }
}
