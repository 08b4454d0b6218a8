import HTTPTypes
import SchedulerHTTP
import Testing

/// RequestIDMiddleware: a sane client id is kept, others replaced, and handlers see the id.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareRequestIDTests {
    /// `/id` answers the id it sees; with `asyncHandler` the middleware's async form runs.
    static func router(asyncHandler: Bool = false) throws -> HTTPRouter {
        var router = HTTPRouter()
        router.use(RequestIDMiddleware())
        if asyncHandler {
            try router.get("/id") { request, _ async in request.requestID ?? "none" }
        } else {
            try router.get("/id") { request, _ in request.requestID ?? "none" }
        }
        return router
    }

    @Test(arguments: [false, true]) func keepsASaneClientID(_ asyncHandler: Bool) async throws {
        let response = try await Self.router(asyncHandler: asyncHandler).route(
            MW.request(.get, "/id", [RequestIDMiddleware.fieldName: "abc-123_x.y:z"]))
        #expect(response.head.headerFields[RequestIDMiddleware.fieldName] == "abc-123_x.y:z")
        #expect(try await MW.bytes(response) == Array("abc-123_x.y:z".utf8))
    }

    @Test(arguments: ["has space", String(repeating: "a", count: 129), "semi;colon", "quote\"", "é"], [false, true])
    func replacesAnInsaneClientID(_ sent: String, _ asyncHandler: Bool) async throws {
        let response = try await Self.router(asyncHandler: asyncHandler).route(MW.request(.get, "/id", [RequestIDMiddleware.fieldName: sent]))
        let id = try #require(response.head.headerFields[RequestIDMiddleware.fieldName])
        #expect(id != sent)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect(try await MW.bytes(response) == Array(id.utf8))
    }

    @Test func generatesADistinctIDPerRequestAlsoFor404() async throws {
        let router = try Self.router()
        let first = try await router.route(MW.request(.get, "/id"))
        let second = try await router.route(MW.request(.get, "/nothing-here"))
        #expect(second.head.status == .notFound)
        let a = try #require(first.head.headerFields[RequestIDMiddleware.fieldName])
        let b = try #require(second.head.headerFields[RequestIDMiddleware.fieldName])
        #expect(a != b)
        #expect(try await MW.bytes(first) == Array(a.utf8))
    }

    @Test func generatedIDsAreDistinctHex() {
        let ids = (0..<10_000).map { _ in RequestIDMiddleware.randomID() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
    }

    @Test func customGenerator() async throws {
        var router = HTTPRouter()
        router.use(RequestIDMiddleware(generate: { "fixed" }))
        try router.get("/") { request, _ in request.requestID ?? "none" }
        let response = try await router.route(MW.request(.get, "/"))
        #expect(response.head.headerFields[RequestIDMiddleware.fieldName] == "fixed")
    }
}
