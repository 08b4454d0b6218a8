import HTTPTypes
import Logging
import SchedulerHTTP
import Testing

/// RequestLoggingMiddleware: one record per request with method, path, status, bytes, µs, id.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareLoggingTests {
    struct Boom: Error {}

    static func router(_ records: LogRecords, idFirst: Bool = true, asyncHandler: Bool = false) throws -> HTTPRouter {
        var router = HTTPRouter()
        if idFirst { router.use(RequestIDMiddleware()) }
        router.use(RequestLoggingMiddleware(logger: records.logger()))
        if !idFirst { router.use(RequestIDMiddleware()) }
        if asyncHandler {
            // The middleware's async forms run (a synchronous handler gets their synchronous forms).
            try router.get("/users/:id") { _, context async in "user \(context["id"]!)" }
        } else {
            try router.get("/users/:id") { _, context in "user \(context["id"]!)" }
        }
        try router.get("/stream") { _, _ in
            HTTPServerResponse(
                status: .ok,
                body: .stream { writer in
                    try await writer.write("hello ")
                    try await writer.write("world")
                })
        }
        try router.get("/fail") { _, _ -> String in throw Boom() }
        return router
    }

    @Test(arguments: [true, false], [false, true])
    func logsOneLinePerRequestWithItsFacts(_ idFirst: Bool, _ asyncHandler: Bool) async throws {
        let records = LogRecords()
        let router = try Self.router(records, idFirst: idFirst, asyncHandler: asyncHandler)
        let response = try await router.route(
            MW.request(.get, "/users/42?verbose=1", [RequestIDMiddleware.fieldName: "req-7"]))
        #expect(response.head.status == .ok)
        let all = records.all
        try #require(all.count == 1)
        let record = all[0]
        #expect(record.level == .info)
        #expect(record.metadata["http.method"] == "GET")
        #expect(record.metadata["http.path"] == "/users/42")
        #expect(record.metadata["http.status"] == "200")
        #expect(record.metadata["http.bytes"] == "7")
        #expect(record.metadata["http.request_id"] == "req-7")
        let micros = try #require(record.metadata["http.duration_us"].flatMap { Int("\($0)") })
        #expect(micros >= 0 && micros < 5_000_000)
        #expect(record.message.hasPrefix("GET /users/42 200 7B "))
        #expect(record.message.hasSuffix("µs id=req-7"))
    }

    @Test func logsAStreamAfterItsBytesAreWritten() async throws {
        let records = LogRecords()
        let response = try await Self.router(records).route(MW.request(.get, "/stream"))
        #expect(records.all.isEmpty)
        #expect(try await MW.bytes(response) == Array("hello world".utf8))
        try #require(records.all.count == 1)
        #expect(records.all[0].metadata["http.bytes"] == "11")
    }

    @Test func logsAThrowingHandlerAs500AndRethrows() async throws {
        let records = LogRecords()
        await #expect(throws: Boom.self) { try await Self.router(records).route(MW.request(.get, "/fail")) }
        try #require(records.all.count == 1)
        #expect(records.all[0].metadata["http.status"] == "500")
        #expect(records.all[0].metadata["error"] != nil)
    }

    /// Sets the status of the response it gets back (after the handler made it).
    struct SetStatus: HTTPSynchronousMiddleware {
        let status: HTTPResponse.Status
        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
            -> HTTPServerResponse
        {
            var response = try await next(request, context)
            response.head.status = status
            return response
        }
        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
            -> HTTPServerResponse
        {
            var response = try next(request, context)
            response.head.status = status
            return response
        }
    }

    /// The logged status is the response's as it leaves: changed by a middleware after the handler
    /// made it, or set in a head the handler built itself.
    @Test func logsTheStatusTheResponseLeavesWith() async throws {
        let records = LogRecords()
        var router = HTTPRouter()
        router.use(RequestLoggingMiddleware(logger: records.logger()))
        try router.get("/made", middleware: [SetStatus(status: .created)]) { _, _ in "made" }
        try router.get("/head") { _, _ in HTTPServerResponse(head: HTTPResponse(status: .accepted)) }
        #expect(try await router.route(MW.request(.get, "/made")).head.status == .created)
        #expect(try await router.route(MW.request(.get, "/head")).head.status == .accepted)
        #expect(records.all.map { $0.metadata["http.status"] } == ["201", "202"])
    }

    @Test func logs404And405() async throws {
        let records = LogRecords()
        let router = try Self.router(records)
        _ = try await router.route(MW.request(.get, "/missing"))
        _ = try await router.route(MW.request(.post, "/users/1"))
        #expect(records.all.map { $0.metadata["http.status"] } == ["404", "405"])
    }

    @Test func logsOverALoopbackServer() async throws {
        let records = LogRecords()
        let router = try Self.router(records)
        try await MW.withRouterServer(router) { port in
            let response = try await MW.offPool {
                let client = try RawClient(port: port)
                try client.send("GET /users/9 HTTP/1.1\r\nHost: x\r\nX-Request-ID: wire-1\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.field("X-Request-ID") == "wire-1")
        }
        try #require(records.all.count == 1)
        #expect(records.all[0].message.hasPrefix("GET /users/9 200 6B "))
    }
}
