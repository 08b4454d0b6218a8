import HTTPTypes
import SchedulerHTTP
import Synchronization
import Testing

/// CORSMiddleware: preflights answered without the handler, allow fields, Vary: Origin.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareCORSTests {
    final class Calls: Sendable {
        let count = Atomic<Int>(0)
    }

    static func router(_ cors: CORSMiddleware, _ calls: Calls = Calls(), asyncChain: Bool = false) throws -> HTTPRouter {
        var router = HTTPRouter()
        if asyncChain { router.use(MW.AsyncOnly()) }
        router.use(cors)
        try router.get("/data") { _, _ in
            calls.count.add(1, ordering: .relaxed)
            return "data"
        }
        try router.on(.options, "/data") { _, _ in
            calls.count.add(1, ordering: .relaxed)
            return "options handler"
        }
        return router
    }

    static let listed = CORSMiddleware(
        allowedOrigins: .list(["https://app.example"]), allowedMethods: [.get, .post],
        allowedHeaders: ["Content-Type", "X-Token"], exposedHeaders: ["X-Request-ID"], allowCredentials: true,
        maxAge: 300)

    @Test(arguments: [false, true]) func answersAnAllowedPreflightWithoutCallingTheHandler(_ asyncChain: Bool) async throws {
        let calls = Calls()
        let response = try await Self.router(Self.listed, calls, asyncChain: asyncChain).route(
            MW.request(
                .options, "/data",
                [
                    .origin: "https://app.example", .accessControlRequestMethod: "POST",
                    .accessControlRequestHeaders: "x-token",
                ]))
        #expect(calls.count.load(ordering: .relaxed) == 0)
        let fields = response.head.headerFields
        #expect(response.head.status == .noContent)
        #expect(fields[.accessControlAllowOrigin] == "https://app.example")
        #expect(fields[.accessControlAllowMethods] == "GET, POST")
        #expect(fields[.accessControlAllowHeaders] == "Content-Type, X-Token")
        #expect(fields[.accessControlAllowCredentials] == "true")
        #expect(fields[.accessControlMaxAge] == "300")
        #expect(fields[.vary]?.contains("Origin") == true)
    }

    @Test(arguments: [("https://evil.example", "GET"), ("https://app.example", "DELETE")])
    func refusesAPreflightFromAnotherOriginOrForAnotherMethod(_ origin: String, _ method: String) async throws {
        let calls = Calls()
        let response = try await Self.router(Self.listed, calls).route(
            MW.request(.options, "/data", [.origin: origin, .accessControlRequestMethod: method]))
        #expect(calls.count.load(ordering: .relaxed) == 0)
        #expect(response.head.status == .noContent)
        #expect(response.head.headerFields[.accessControlAllowOrigin] == nil)
        #expect(response.head.headerFields[.accessControlAllowMethods] == nil)
    }

    @Test func plainOptionsWithoutRequestMethodReachesTheHandler() async throws {
        let calls = Calls()
        let response = try await Self.router(Self.listed, calls).route(
            MW.request(.options, "/data", [.origin: "https://app.example"]))
        #expect(calls.count.load(ordering: .relaxed) == 1)
        #expect(try await MW.bytes(response) == Array("options handler".utf8))
    }

    @Test(arguments: [false, true]) func addsAllowFieldsToAnAllowedOriginsAnswer(_ asyncChain: Bool) async throws {
        let response = try await Self.router(Self.listed, asyncChain: asyncChain).route(
            MW.request(.get, "/data", [.origin: "https://APP.example"]))
        let fields = response.head.headerFields
        #expect(try await MW.bytes(response) == Array("data".utf8))
        #expect(fields[.accessControlAllowOrigin] == "https://APP.example")
        #expect(fields[.accessControlAllowCredentials] == "true")
        #expect(fields[.accessControlExposeHeaders] == "X-Request-ID")
        #expect(fields[.vary] == "Origin")
    }

    @Test func otherOriginGetsTheAnswerWithoutAllowFieldsButWithVary() async throws {
        let response = try await Self.router(Self.listed).route(
            MW.request(.get, "/data", [.origin: "https://evil.example"]))
        #expect(response.head.status == .ok)
        #expect(response.head.headerFields[.accessControlAllowOrigin] == nil)
        #expect(response.head.headerFields[.vary] == "Origin")
    }

    @Test func anyOriginWithoutCredentialsIsAStar() async throws {
        let router = try Self.router(CORSMiddleware())
        let response = try await router.route(MW.request(.get, "/data", [.origin: "https://x.example"]))
        #expect(response.head.headerFields[.accessControlAllowOrigin] == "*")
        #expect(response.head.headerFields[.vary] == nil)
        let preflight = try await router.route(
            MW.request(
                .options, "/data",
                [
                    .origin: "https://x.example", .accessControlRequestMethod: "PUT",
                    .accessControlRequestHeaders: "X-A, X-B",
                ]))
        #expect(preflight.head.headerFields[.accessControlAllowOrigin] == "*")
        #expect(preflight.head.headerFields[.accessControlAllowHeaders] == "X-A, X-B")
        #expect(preflight.head.headerFields[.accessControlMaxAge] == "600")
    }

    @Test func noOriginNoCORSFields() async throws {
        let response = try await Self.router(Self.listed).route(MW.request(.get, "/data"))
        #expect(response.head.headerFields[.accessControlAllowOrigin] == nil)
        #expect(response.head.headerFields[.vary] == "Origin")
    }

    @Test func preflightOverALoopbackServer() async throws {
        try await MW.withRouterServer(try Self.router(Self.listed)) { port in
            let response = try await MW.offPool {
                let client = try RawClient(port: port)
                try client.send(
                    "OPTIONS /data HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                        + "Access-Control-Request-Method: GET\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 204)
            #expect(response.field("Access-Control-Allow-Origin") == "https://app.example")
        }
    }
}
