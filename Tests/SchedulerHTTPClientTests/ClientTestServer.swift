import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool
import Synchronization

/// What the routes saw, for tests that check order.
final class Recorder: Sendable {
    private let items = Mutex<[String]>([])
    func append(_ item: String) { items.withLock { $0.append(item) } }
    var all: [String] { items.withLock { $0 } }
}

/// Routes for the client tests: hello, echo, method, peer, redirects, headers, order, big.
struct ClientRoutes: HTTPResponder {
    let recorder: Recorder

    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let target = request.head.path ?? "/"
        let path = String(target.prefix { $0 != "?" })
        let query = target.contains("?") ? String(target[target.index(after: target.firstIndex(of: "?")!)...]) : ""
        switch path {
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
        case "/method":
            let bytes = try await request.body.collect(upTo: 1 << 20)
            return .text("\(request.head.method) \(bytes.count) type=\(request.head.headerFields[.contentType] ?? "-")")
        case "/peer":
            return .text(request.remoteAddress.map { "\($0)" } ?? "?")
        case "/headers":
            let test = request.head.headerFields[HTTPField.Name("X-Test")!] ?? "-"
            let evil = request.head.headerFields[HTTPField.Name("X-Evil")!] != nil
            return .text("X-Test=[\(test)] evil=\(evil)")
        case "/order":
            recorder.append(query)
            try await Task.sleep(for: .milliseconds(20))
            return .text(query)
        case "/slow":
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow done")
        case "/big":
            let total = Int(query) ?? 0
            return HTTPServerResponse(
                status: .ok,
                body: .stream { writer in
                    var sent = 0
                    let block = [UInt8](repeating: 0x61, count: 65536)
                    while sent < total {
                        let count = min(block.count, total - sent)
                        try await writer.write(Array(block[0..<count]))
                        sent += count
                    }
                })
        case "/loop":
            return redirect(.movedPermanently, "/loop")
        case "/see-other":
            return redirect(.seeOther, "/method")
        case "/found":
            return redirect(.found, "/method")
        case "/temporary":
            return redirect(.temporaryRedirect, "/method")
        case "/permanent":
            return redirect(.permanentRedirect, "method")
        default:
            if path.hasPrefix("/redirect/"), let count = Int(path.dropFirst("/redirect/".count)) {
                return count == 0 ? .text("done") : redirect(.found, "/redirect/\(count - 1)")
            }
            return .status(.notFound)
        }
    }

    private func redirect(_ status: HTTPResponse.Status, _ location: String) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headerFields: [.location: location], body: .string("see \(location)"))
    }
}

/// Runs `body` against a fresh HTTPServer on a free loopback port (listening on 0.0.0.0 when
/// `anyAddress`, so other 127.x sources can reach it on 127.0.0.1), then shuts it down.
func withServer(
    recorder: Recorder = Recorder(),
    _ body: (UInt16) async throws -> Void
) async throws {
    let configuration = HTTPServer.Configuration(engine: .init(threads: 1))
    let server = try HTTPServer(
        address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
        responder: ClientRoutes(recorder: recorder))
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

/// A client with one engine thread and the given changes.
func makeClient(_ configure: (inout HTTPClient.Configuration) -> Void = { _ in }) throws -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.readTimeout = .seconds(10)
    configuration.totalTimeout = .seconds(30)
    configure(&configuration)
    return try HTTPClient(configuration: configuration)
}
