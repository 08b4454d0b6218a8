import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool

/// Routes for the server tests: hello, echo (streamed back as it is read), stream, fail, slow.
/// `synchronous`: every route that needs no `await` to answer is answered by
/// `respondSynchronously` (the server then serves on the loop thread between requests, with no
/// task); `/collect` and `/slow` always take the async path.
struct TestRoutes: HTTPResponder {
    var synchronous = false

    func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? {
        synchronous ? try answer(request) : nil
    }

    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        if let response = try answer(request) { return response }
        switch request.head.path ?? "/" {
        case "/collect":
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var text = "\(bytes.count)"
            if let trailers = request.body.trailers {
                for field in trailers { text += " \(field.name.rawName)=\(field.value)" }
            }
            return .text(text)
        case "/slow":
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow done")
        default:
            return .status(.notFound)
        }
    }

    /// The routes answered without an `await`; nil for the others.
    private func answer(_ request: HTTPServerRequest) throws -> HTTPServerResponse? {
        let target = request.head.path ?? "/"
        switch target {
        case "/":
            return .text("Hello, World!")
        case "/task":
            // Whether the handler runs in a task: a connection served on its loop thread has none.
            return .text(withUnsafeCurrentTask { $0 == nil } ? "no task" : "task")
        case "/collect", "/slow":
            return nil
        case "/echo":
            let body = request.body
            var fields = HTTPFields()
            if let type = request.head.headerFields[.contentType] { fields[.contentType] = type }
            return HTTPServerResponse(
                status: .ok, headerFields: fields,
                body: .stream(length: request.head.headerFields[.contentLength].flatMap { Int($0) }) { writer in
                    for try await chunk in body { try await writer.write(chunk) }
                })
        case "/fail":
            struct Failure: Error {}
            throw Failure()
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

/// Runs `body` against a fresh server on a free loopback port, then shuts the server down; twice:
/// with the routes answered by `respond` (a task per connection), then by `respondSynchronously`
/// where they can be (served on the loop thread between requests).
func withServer(
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    _ body: (UInt16) async throws -> Void
) async throws {
    for synchronous in [false, true] {
        do {
            try await withServer(routes: TestRoutes(synchronous: synchronous), configure: configure, body)
        } catch {
            throw RoutesModeError(synchronous: synchronous, error: error)
        }
    }
}

/// A test's error, with the kind of routes it came with.
struct RoutesModeError: Error, CustomStringConvertible {
    let synchronous: Bool
    let error: any Error
    var description: String { "\(synchronous ? "synchronous" : "async") routes: \(error)" }
}

/// Runs `body` against a fresh server with `routes`, then shuts the server down.
func withServer(
    routes: TestRoutes, configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    _ body: (UInt16) async throws -> Void
) async throws {
    var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
    configure(&configuration)
    let server = try HTTPServer(
        address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
        responder: routes)
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
