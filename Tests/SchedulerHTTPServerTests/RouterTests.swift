import HTTPTypes
import SchedulerHTTP
import SchedulerPool
import Testing

/// The router in-process, without a server: matching, parameters, 404/405, HEAD, groups.
@Suite(.timeLimit(.minutes(2))) struct RouterTests {
    static let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)

    static func request(_ method: HTTPRequest.Method, _ path: String) -> HTTPServerRequest {
        HTTPServerRequest(
            head: HTTPRequest(method: method, scheme: nil, authority: "a", path: path), localAddress: local)
    }

    static func body(_ response: HTTPServerResponse) -> String {
        response.body.bytes.map { String(decoding: $0, as: UTF8.self) } ?? "<stream>"
    }

    static func makeRouter() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.get("/") { _, _ in "root" }
        try router.get("/users/:id") { _, context in "user \(context["id"]!)" }
        try router.get("/users/me") { _, _ in "me" }
        try router.post("/users/:id") { _, context in "posted \(context["id"]!)" }
        try router.get("/files/**") { _, context in "files \(context.catchAll!)" }
        try router.get("/a/*/c") { _, _ in "star" }
        try router.group("/api/v1", middleware: [Tag("v1")]) { api in
            api.get("/ping") { _, _ in "pong" }
            api.group("/admin", middleware: [Tag("admin")]) { admin in
                admin.get("/stats") { _, _ in "stats" }
            }
        }
        return router
    }

    /// Appends its name to the `X-Tags` field of the response, to show the order of the chain.
    struct Tag: HTTPMiddleware {
        let name: String
        init(_ name: String) { self.name = name }
        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws -> HTTPServerResponse {
            var response = try await next(request, context)
            let before = response.head.headerFields[HTTPField.Name("X-Tags")!].map { $0 + "," } ?? ""
            response.head.headerFields[HTTPField.Name("X-Tags")!] = before + name
            return response
        }
    }

    @Test(arguments: [
        ("/", "root"), ("/users/42", "user 42"), ("/users/me", "me"), ("/users/a%2Fb", "user a/b"),
        ("/files/x/y/z.txt", "files x/y/z.txt"), ("/files", "files "), ("/a/b/c", "star"),
        ("/api/v1/ping", "pong"), ("/api/v1/admin/stats", "stats"), ("/users/42?x=1", "user 42"),
    ])
    func matchesTheMostSpecificRoute(_ path: String, _ expected: String) async throws {
        let response = try await Self.makeRouter().route(Self.request(.get, path))
        #expect(response.head.status == .ok)
        #expect(Self.body(response) == expected)
    }

    @Test func unknownPathIs404AndOtherMethodIs405WithAllow() async throws {
        let router = try Self.makeRouter()
        #expect(try await router.route(Self.request(.get, "/nope")).head.status == .notFound)
        #expect(try await router.route(Self.request(.get, "/a/b/d")).head.status == .notFound)
        let wrong = try await router.route(Self.request(.delete, "/users/1"))
        #expect(wrong.head.status == .methodNotAllowed)
        #expect(wrong.head.headerFields[.allow] == "GET, HEAD, POST")
    }

    @Test func optionsOnAPathIs204WithItsMethods() async throws {
        let router = try Self.makeRouter()
        let options = try await router.route(Self.request(.options, "/users/1"))
        #expect(options.head.status == .noContent)
        #expect(options.head.headerFields[.allow] == "GET, HEAD, OPTIONS, POST")
        #expect(try await router.route(Self.request(.options, "/nope")).head.status == .notFound)
    }

    @Test func headIsAnsweredByGetAndOptionsStarListsMethods() async throws {
        let router = try Self.makeRouter()
        #expect(Self.body(try await router.route(Self.request(.head, "/users/7"))) == "user 7")
        let options = try await router.route(Self.request(.options, "*"))
        #expect(options.head.headerFields[.allow] == "GET, HEAD, OPTIONS, POST")
    }

    @Test func groupMiddlewareRunsInRegistrationOrder() async throws {
        var router = try Self.makeRouter()
        router.use(Tag("global"))
        let response = try await router.route(Self.request(.get, "/api/v1/admin/stats"))
        // The innermost middleware changes the response first.
        #expect(response.head.headerFields[HTTPField.Name("X-Tags")!] == "admin,v1,global")
        let notFound = try await router.route(Self.request(.get, "/none"))
        #expect(notFound.head.headerFields[HTTPField.Name("X-Tags")!] == "global")
    }

    @Test func aMiddlewareMayAnswerWithoutCallingNext() async throws {
        var router = try Self.makeRouter()
        router.use(HTTPClosureMiddleware { request, context, next in
            request.head.headerFields[.authorization] == nil ? .status(.unauthorized) : try await next(request, context)
        })
        #expect(try await router.route(Self.request(.get, "/")).head.status == .unauthorized)
    }

    @Test func aMiddlewareThatRewritesThePathOrMethodChangesTheRoute() async throws {
        var router = try Self.makeRouter()
        router.use(HTTPClosureMiddleware { request, context, next in
            var request = request
            if request.head.path == "/old/42" { request.head.path = "/users/42" }
            if request.head.path == "/users/9", request.head.method == .put { request.head.method = .post }
            return try await next(request, context)
        })
        #expect(Self.body(try await router.route(Self.request(.get, "/old/42"))) == "user 42")
        #expect(Self.body(try await router.route(Self.request(.put, "/users/9"))) == "posted 9")
        #expect(Self.body(try await router.route(Self.request(.get, "/users/7"))) == "user 7")
    }

    @Test(arguments: [
        ("/a//c", .notFound), ("/users/", .notFound), ("//", .notFound), ("/users/42/", .notFound),
        ("/files/", .ok), ("/files//x", .ok),
    ] as [(String, HTTPResponse.Status)])
    func emptySegmentsAreSegments(_ path: String, _ status: HTTPResponse.Status) async throws {
        // `*` and `:id` need a non-empty segment; `**` takes whatever follows, empty included.
        #expect(try await Self.makeRouter().route(Self.request(.get, path)).head.status == status)
    }

    @Test func aCopyChangedLaterLeavesTheOriginalAlone() async throws {
        let original = try Self.makeRouter()
        var copy = original
        try copy.get("/new") { _, _ in "new" }
        #expect(try await original.route(Self.request(.get, "/new")).head.status == .notFound)
        #expect(Self.body(try await copy.route(Self.request(.get, "/new"))) == "new")
    }

    @Test func conflictingParameterNamesAreRefused() throws {
        var router = try Self.makeRouter()
        #expect(throws: RouterError.self) { try router.get("/users/:name/x") { _, _ in "" } }
        #expect(throws: RouterError.self) { try router.get("no-slash") { _, _ in "" } }
    }

    struct Message: Encodable, Sendable { let message: String }

    @Test func encodableValuesBecomeJSON() async throws {
        var router = HTTPRouter()
        try router.get("/json") { _, _ in JSONResponse(Message(message: "Hello, World!")) }
        let response = try await router.route(Self.request(.get, "/json"))
        #expect(response.head.headerFields[.contentType] == "application/json")
        #expect(Self.body(response) == #"{"message":"Hello, World!"}"#)
    }
}
