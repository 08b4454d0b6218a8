// The router row of `make bench-http`: `GET /users/:id` answered on one event loop either by a
// plain handler (the path split by hand, no router, no middleware) or through HTTPRouter with
// RequestIDMiddleware and RequestLoggingMiddleware (one swift-log line per request, written to
// standard error, which the bench sends to /dev/null): `routed` logs through swift-log's
// StreamLogHandler, `routed-line` through SchedulerHTTP's LineLogHandler, `routed-buffered` through
// LineLogHandler with a 64 KiB buffer (flushed every 100 ms); `routed-async` is `routed-buffered`
// with the handler declared `async`, so the router runs the middleware's async forms instead of the
// synchronous chain. `core` is the server core as the bench-http peers are set up: `GET /` answered
// "Hello, World!" and `GET /json` a JSON-encoded greeting by a plain handler, with no router, no
// middleware and no log line (the http-server row runs the whole HTTP.md stack). 127.0.0.1 only.
// Usage: RouterOverheadServer PORT plain|routed|routed-line|routed-buffered|routed-async|core
import Glibc
import Logging
import SchedulerCore

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = UInt16(arguments[1]), ["plain", "routed", "routed-line", "routed-buffered", "routed-async", "core"].contains(arguments[2]) else {
    fputs("usage: RouterOverheadServer PORT plain|routed|routed-line|routed-buffered|routed-async|core\n", stderr)
    exit(2)
}
if arguments[2] == "routed-line" {
    LoggingSystem.bootstrap(LineLogHandler.standardError)
} else if arguments[2] == "routed-buffered" || arguments[2] == "routed-async" {
    LoggingSystem.bootstrap { LineLogHandler(label: $0, bufferSize: 64 << 10) }
} else {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
}
let configuration = HTTPServer.Configuration(engine: .init(threads: 1))
let address = try SocketAddress(host: "127.0.0.1", port: port)
let server: HTTPServer
if arguments[2] == "core" {
    server = try HTTPServer(address: address, configuration: configuration, responder: HTTPClosureResponder { request in
        guard request.method == .get else { return .status(.notFound) }
        switch request.path {
        case "/": return .text("Hello, World!")
        case "/json": return try JSONResponse(Greeting(message: "Hello, World!")).response()
        default: return .status(.notFound)
        }
    })
} else if arguments[2] == "plain" {
    server = try HTTPServer(address: address, configuration: configuration, responder: HTTPClosureResponder { request in
        // The method and path read from the request's bytes (as the router reads them): no
        // HTTPRequest is built on either side of the comparison.
        let path = request.path ?? ""
        guard request.method == .get, path.hasPrefix("/users/") else { return .status(.notFound) }
        return .text("user \(path.dropFirst(7))")
    })
} else {
    var router = HTTPRouter()
    router.use(RequestIDMiddleware())
    router.use(RequestLoggingMiddleware(logger: Logger(label: "requests")))
    if arguments[2] == "routed-async" {
        try router.get("/users/:id") { _, context async in "user \(context["id"] ?? "")" }
    } else {
        try router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
    }
    server = try HTTPServer(address: address, configuration: configuration, responder: router)
}
await server.run()

/// The body of `GET /json` in `core` mode (as http-server's).
struct Greeting: Encodable, Sendable {
    let message: String
}
