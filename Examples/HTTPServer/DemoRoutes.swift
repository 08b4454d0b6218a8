import Glibc
import HTTPTypes
import SchedulerCore

/// The route table of the `http-server` demo, with a request log line per request on stderr.
struct DemoRoutes: HTTPResponder {
    let maxBody: Int

    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let started = ContinuousClock.now
        let response = try await route(request)
        let micros = (ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000
        let bytes = response.body.byteCount.map(String.init) ?? "-"
        let line = "\(request.head.method) \(request.head.path ?? "") \(response.head.status.code) \(bytes) \(micros)us\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        return response
    }

    private func route(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let target = request.head.path ?? "/"
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let query = target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let method = request.head.method
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        switch (segments.count, segments.first ?? "") {
        case (1, ""):
            guard method == .get || method == .head else { return notAllowed("GET, HEAD") }
            return .text("Hello, World!")
        case (1, "json"):
            guard method == .get || method == .head else { return notAllowed("GET, HEAD") }
            return HTTPServerResponse(
                status: .ok, headerFields: [.contentType: "application/json"],
                body: .string(#"{"message":"Hello, World!"}"#))
        case (1, "echo"):
            guard method == .post || method == .put else { return notAllowed("POST, PUT") }
            var fields = HTTPFields()
            if let type = request.head.headerFields[.contentType] { fields[.contentType] = type }
            let body = request.body
            return HTTPServerResponse(
                status: .ok, headerFields: fields,
                body: .stream(length: request.head.headerFields[.contentLength].flatMap { Int($0) }) { writer in
                    for try await chunk in body { try await writer.write(chunk) }
                })
        case (2, "users"):
            guard method == .get || method == .head else { return notAllowed("GET, HEAD") }
            guard let id = PercentDecoding.decode(String(segments.last!)) else {
                return .status(.badRequest, "bad percent-encoding in the path")
            }
            return .text("user \(id)")
        case (1, "stream"):
            guard method == .get || method == .head else { return notAllowed("GET, HEAD") }
            let count = query.split(separator: "&").compactMap { pair -> Int? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "n" ? Int(parts[1]) : nil
            }.first ?? 10
            guard count >= 0 && count <= 1_000_000 else { return .status(.badRequest, "n must be 0...1000000") }
            return HTTPServerResponse(
                status: .ok, headerFields: [.contentType: "text/plain; charset=utf-8"],
                body: .stream { writer in
                    for index in 0..<count { try await writer.write("chunk \(index)\n") }
                })
        default:
            return .status(.notFound)
        }
    }

    private func notAllowed(_ allow: String) -> HTTPServerResponse {
        var response = HTTPServerResponse.status(.methodNotAllowed)
        response.head.headerFields[.allow] = allow
        return response
    }
}
