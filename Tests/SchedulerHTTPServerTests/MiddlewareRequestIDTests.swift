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
        #expect(Self.isGenerated(id))
        #expect(try await MW.bytes(response) == Array(id.utf8))
    }

    /// A generated id is the request's (`requestID`) and the response's, but not written into the
    /// request's header fields (no copy of them per request); a replaced insane one is.
    @Test func aGeneratedIDIsTheRequestsWithoutTouchingItsFields() async throws {
        var router = HTTPRouter()
        router.use(RequestIDMiddleware())
        try router.get("/fields") { request, _ in
            "\(request.requestID ?? "none") \(request.head.headerFields[RequestIDMiddleware.fieldName] ?? "none")"
        }
        let generated = try await router.route(MW.request(.get, "/fields"))
        let id = try #require(generated.head.headerFields[RequestIDMiddleware.fieldName])
        #expect(try await MW.bytes(generated) == Array("\(id) none".utf8))
        let replaced = try await router.route(MW.request(.get, "/fields", [RequestIDMiddleware.fieldName: "bad id"]))
        let newID = try #require(replaced.head.headerFields[RequestIDMiddleware.fieldName])
        #expect(newID != "bad id")
        #expect(try await MW.bytes(replaced) == Array("\(newID) \(newID)".utf8))
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

    /// 15 characters of `0-9A-Za-z-_`, which a client could send back and have kept.
    static func isGenerated(_ id: String) -> Bool {
        id.utf8.count == 15
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }

    @Test func generatedIDsAreDistinctAndShareTheProcessPrefix() {
        let ids = (0..<100_000).map { _ in RequestIDMiddleware.randomID() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy(Self.isGenerated))
        #expect(Set(ids.map { $0.prefix(7) }).count == 1)
        // The counter part is scrambled: consecutive ids differ in more than their last character.
        #expect(zip(ids, ids.dropFirst()).filter { $0.dropLast() == $1.dropLast() }.count < 100)
    }

    @Test func customGenerator() async throws {
        var router = HTTPRouter()
        router.use(RequestIDMiddleware(generate: { "fixed" }))
        try router.get("/") { request, _ in request.requestID ?? "none" }
        let response = try await router.route(MW.request(.get, "/"))
        #expect(response.head.headerFields[RequestIDMiddleware.fieldName] == "fixed")
    }
}
