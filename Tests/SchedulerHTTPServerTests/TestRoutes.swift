import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool

/// Routes for the server tests: hello, echo (streamed back as it is read), stream, fail, slow.
struct TestRoutes: HTTPResponder {
    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let target = request.head.path ?? "/"
        switch target {
        case "/":
            return .text("Hello, World!")
        case "/echo":
            let body = request.body
            var fields = HTTPFields()
            if let type = request.head.headerFields[.contentType] { fields[.contentType] = type }
            return HTTPServerResponse(
                status: .ok, headerFields: fields,
                body: .stream(length: request.head.headerFields[.contentLength].flatMap { Int($0) }) { writer in
                    for try await chunk in body { try await writer.write(chunk) }
                })
        case "/collect":
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var text = "\(bytes.count)"
            if let trailers = request.body.trailers {
                for field in trailers { text += " \(field.name.rawName)=\(field.value)" }
            }
            return .text(text)
        case "/fail":
            struct Failure: Error {}
            throw Failure()
        case "/slow":
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow done")
        case "/local":
            return .text("\(request.localAddress)")
        default:
            if target.hasPrefix("/stream?n=") {
                let count = Int(target.dropFirst("/stream?n=".count)) ?? 0
                return HTTPServerResponse(
                    status: .ok,
                    body: .stream { writer in
                        for index in 0..<count { try await writer.write("chunk \(index)\n") }
                        writer.setTrailers([HTTPField.Name("X-Count")!: "\(count)"])
                    })
            }
            return .status(.notFound)
        }
    }
}

/// Runs `body` against a fresh server on a free loopback port, then shuts the server down.
func withServer(
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    _ body: (UInt16) async throws -> Void
) async throws {
    var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
    configure(&configuration)
    let server = try HTTPServer(
        address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
        responder: TestRoutes())
    let running = await startRunning(server)
    do {
        try await body(server.address.port)
    } catch {
        await server.shutdown()
        await running.value
        throw error
    }
    await server.shutdown()
    await running.value
}
