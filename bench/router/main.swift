// router-bench: the time to route one request through HTTPRouter with 10 routes and with 1,000,
// in the same run (the router's trie makes it depend on the path's depth, not the route count).
// `make bench-router`; prints ns per routed request for each and the ratio.
import Glibc
import HTTPTypes
import Logging
import SchedulerHTTP
import SchedulerPool

func makeRouter(routes: Int) throws -> HTTPRouter {
    var router = HTTPRouter()
    for index in 0..<routes {
        try router.get("/api/v1/resource\(index)/:id") { _, context in context["id"] ?? "" }
    }
    try router.get("/users/:id") { _, context in context["id"] ?? "" }
    return router
}

func nanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The best of `rounds` timings of `count` routed requests, in ns per request.
func measure(_ router: HTTPRouter, count: Int, rounds: Int) async throws -> Double {
    let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)
    let paths = ["/users/42", "/api/v1/resource7/9", "/nowhere/at/all"]
    let requests = paths.map {
        HTTPServerRequest(head: HTTPRequest(method: .get, scheme: nil, authority: "a", path: $0), localAddress: local)
    }
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<rounds {
        let start = nanoseconds()
        for index in 0..<count {
            let response = try await router.route(requests[index % requests.count])
            checksum &+= response.head.status.code
        }
        best = min(best, Double(nanoseconds() - start) / Double(count))
    }
    if checksum == 42 { print("") }
    return best
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 300_000
if CommandLine.arguments.count <= 2 {
    let small = try makeRouter(routes: 10)
    let large = try makeRouter(routes: 1000)
    // Interleaved, so that both see the same machine.
    var smallTimes: [Double] = []
    var largeTimes: [Double] = []
    for _ in 0..<3 {
        smallTimes.append(try await measure(small, count: count, rounds: 3))
        largeTimes.append(try await measure(large, count: count, rounds: 3))
    }
    let smallBest = smallTimes.min()!
    let largeBest = largeTimes.min()!
    print("routes    ns per routed request (best of 9; /users/42, /api/v1/resource7/9, a 404 in turn)")
    print("10        \(Int(smallBest))")
    print("1000      \(Int(largeBest))")
    print("ratio 1000/10: \((largeBest / smallBest * 100).rounded() / 100) (target <= 1.2)")
}

// The router row of issue 13 in-process: `GET /users/42` answered by a plain closure (path split
// by hand) and by HTTPRouter with RequestIDMiddleware and RequestLoggingMiddleware (LineLogHandler
// with a 64 KiB buffer, to /dev/null), through `respond(to:)` as the server calls it. The server's
// own per-request work (parse, write) is not in these numbers: it is the same for both.
func measureResponder(_ responder: some HTTPResponder, count: Int, rounds: Int, path: String = "/users/42") async throws
    -> Double
{
    let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)
    var head = HTTPRequest(method: .get, scheme: nil, authority: "a", path: path)
    head.headerFields[.userAgent] = "wrk"
    let request = HTTPServerRequest(head: head, localAddress: local)
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<rounds {
        let start = nanoseconds()
        for _ in 0..<count {
            let response = try await responder.respond(to: request)
            checksum &+= response.head.status.code &+ response.head.headerFields.count
        }
        best = min(best, Double(nanoseconds() - start) / Double(count))
    }
    if checksum == 42 { print("") }
    return best
}

let devNull = open("/dev/null", O_WRONLY)
let requestLog = Logger(label: "requests") { LineLogHandler(label: $0, fileDescriptor: devNull, bufferSize: 64 << 10) }
let plain = HTTPClosureResponder { request in
    let path = request.head.path ?? ""
    guard request.head.method == .get, path.hasPrefix("/users/") else { return .status(.notFound) }
    return .text("user \(path.dropFirst(7))")
}
var routed = HTTPRouter()
routed.use(RequestIDMiddleware())
routed.use(RequestLoggingMiddleware(logger: requestLog))
try routed.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
var bare = HTTPRouter()
try bare.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
/// http-server's stack for `/` and `/json` (request id, logging, compression; `/json` as JSON).
struct Greeting: Encodable { let message: String }
func demoStack() -> HTTPRouter {
    var router = HTTPRouter()
    router.use(RequestIDMiddleware())
    router.use(RequestLoggingMiddleware(logger: requestLog))
    router.use(CompressionMiddleware(minimumSize: 1024))
    try! router.get("/") { _, _ in "Hello, World!" }
    try! router.get("/json", middleware: [CompressionMiddleware(minimumSize: 0)]) { _, _ in
        JSONResponse(Greeting(message: "Hello, World!"))
    }
    return router
}
// `router-bench COUNT text|json` runs http-server's `/` or `/json` stack (for a profiler).
if CommandLine.arguments.count > 2, ["text", "json"].contains(CommandLine.arguments[2]) {
    let path = CommandLine.arguments[2] == "json" ? "/json" : "/"
    print(try await measureResponder(demoStack(), count: count, rounds: 10, path: path))
    exit(0)
}
// `router-bench COUNT plain|bare|routed` runs one of them alone (for a profiler).
if CommandLine.arguments.count > 2 {
    let only: any HTTPResponder = switch CommandLine.arguments[2] {
    case "plain": plain
    case "bare": bare
    case "id":
        { () -> HTTPRouter in
            var router = HTTPRouter()
            router.use(RequestIDMiddleware())
            try! router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
            return router
        }()
    case "noop":
        { () -> HTTPRouter in
            var router = HTTPRouter()
            router.use(NoopMiddleware())
            try! router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
            return router
        }()
    case "copy":
        { () -> HTTPRouter in
            var router = HTTPRouter()
            router.use(CopyMiddleware())
            try! router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
            return router
        }()
    case "quiet":
        { () -> HTTPRouter in
            var router = HTTPRouter()
            router.use(RequestLoggingMiddleware(logger: requestLog, level: .debug))
            try! router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
            return router
        }()
    case "log":
        { () -> HTTPRouter in
            var router = HTTPRouter()
            router.use(RequestLoggingMiddleware(logger: requestLog))
            try! router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
            return router
        }()
    default: routed
    }
    print(try await measureResponder(only, count: count, rounds: 10))
    exit(0)
}
var plainTimes: [Double] = []
var bareTimes: [Double] = []
var routedTimes: [Double] = []
for _ in 0..<3 {
    plainTimes.append(try await measureResponder(plain, count: count, rounds: 3))
    bareTimes.append(try await measureResponder(bare, count: count, rounds: 3))
    routedTimes.append(try await measureResponder(routed, count: count, rounds: 3))
}
print("")
print("GET /users/42 through respond(to:), ns per request (best of 9)")
print("plain closure                          \(Int(plainTimes.min()!))")
print("router, no middleware                  \(Int(bareTimes.min()!))")
print("router + request id + logging          \(Int(routedTimes.min()!))")

struct NoopMiddleware: HTTPSynchronousMiddleware {
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws -> HTTPServerResponse {
        try await next(request, context)
    }
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws -> HTTPServerResponse {
        try next(request, context)
    }
}
struct CopyMiddleware: HTTPSynchronousMiddleware {
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws -> HTTPServerResponse {
        try await next(request, context)
    }
    func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws -> HTTPServerResponse {
        var request = request
        request.head.method = .get
        return try next(request, context)
    }
}
