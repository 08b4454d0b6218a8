// The Hummingbird 2 peer for `make bench-http`: `GET /` (text/plain `Hello, World!`) and
// `GET /json`, on one event loop (a MultiThreadedEventLoopGroup of one thread), 127.0.0.1 only.
// Usage: HummingbirdHTTPServer PORT
import Hummingbird
import NIOCore
import NIOPosix

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let router = Router()
router.get("/") { _, _ -> String in
    "Hello, World!"
}
let jsonBody = ByteBuffer(string: #"{"message":"Hello, World!"}"#)
router.get("/json") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: jsonBody))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    eventLoopGroupProvider: .shared(group))  // default logger: no line per request
try await app.runService()
