import HTTPTypes
import Logging
import SchedulerCore

/// The body of `GET /json`.
struct Greeting: Encodable, Sendable {
    let message: String
}

/// The route table of HTTP.md on the library's router, with request ids, a log line per request
/// and gzip for `/json` and for any body of 1 KiB or more.
func demoRouter(logger: Logger) throws -> HTTPRouter {
    var router = HTTPRouter()
    router.use(RequestIDMiddleware())
    router.use(RequestLoggingMiddleware(logger: logger))
    router.use(CompressionMiddleware(minimumSize: 1024))
    try router.get("/") { _, _ in "Hello, World!" }
    try router.get("/json", middleware: [CompressionMiddleware(minimumSize: 0)]) { _, _ in
        JSONResponse(Greeting(message: "Hello, World!"))
    }
    let echo: @Sendable (HTTPServerRequest, RouteContext) async throws -> HTTPServerResponse = { request, _ in
        var fields = HTTPFields()
        if let type = request.head.headerFields[.contentType] { fields[.contentType] = type }
        let body = request.body
        let length = request.head.headerFields[.contentLength].flatMap { Int($0) }
        return HTTPServerResponse(
            status: .ok, headerFields: fields,
            body: .stream(length: length) { writer in
                for try await chunk in body { try await writer.write(chunk) }
            })
    }
    try router.post("/echo", echo)
    try router.put("/echo", echo)
    // Every message back as it came; permessage-deflate when the client offers it.
    try router.webSocket("/ws", configuration: WebSocketConfiguration(compression: WebSocketCompression())) { socket, _, _ in
        for try await message in socket.messages { try await socket.send(message) }
    }
    try router.get("/users/:id") { _, context in "user \(context["id"] ?? "")" }
    try router.get("/stream") { request, _ in
        let query = request.head.path?.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        let count =
            query.split(separator: "&").compactMap { pair -> Int? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "n" ? Int(parts[1]) : nil
            }.first ?? 10
        guard (0...1_000_000).contains(count) else { return HTTPServerResponse.status(.badRequest, "n must be 0...1000000") }
        return HTTPServerResponse(
            status: .ok, headerFields: [.contentType: "text/plain; charset=utf-8"],
            body: .stream { writer in
                for index in 0..<count { try await writer.write("chunk \(index)\n") }
            })
    }
    return router
}
