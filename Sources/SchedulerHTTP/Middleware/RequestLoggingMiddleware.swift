#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import Logging

/// Logs one line per request with swift-log: method, path (without the query), status, body
/// bytes, microseconds, and the request id, e.g. `GET /users/42 200 13B 152µs`, with the same
/// values as metadata (`http.method`, `http.path`, `http.status`, `http.bytes`,
/// `http.duration_us`, `http.request_id`).
///
/// The method and path are the ones the request arrived with at the router (before any rewrite
/// by middleware), as an access log shows them. A streamed body is logged when it has been
/// written (its bytes and time included); a handler that throws is logged as 500 with the error
/// and the error is thrown on. Put it after ``RequestIDMiddleware`` or before it: the id is read
/// from the request or the response.
public struct RequestLoggingMiddleware: HTTPSynchronousMiddleware {
    /// Where the lines go.
    public let logger: Logger
    /// The level of each line (`.info` unless told).
    public let level: Logger.Level

    /// Logs to `logger` at `level`.
    public init(logger: Logger = Logger(label: "SchedulerHTTP.requests"), level: Logger.Level = .info) {
        self.logger = logger
        self.level = level
        // swift-log evaluates metadata before the handler sees it: skip building it for a handler
        // known to drop it (the logger is a constant, so is its handler).
        if let lines = logger.handler as? LineLogHandler {
            withMetadata = lines.includeMetadata
            self.lines = lines.includeMetadata ? nil : Lines(handler: lines)
        } else {
            withMetadata = true
            lines = nil
        }
    }

    /// Whether lines carry the values as metadata too (not for a ``LineLogHandler`` that prints none).
    private let withMetadata: Bool
    /// The logger's handler when it is a ``LineLogHandler`` that prints no metadata: lines then go
    /// to it directly, built on the stack (the same bytes, no message `String`, no swift-log event).
    private let lines: Lines?

    /// The handler behind one reference (a request copies no label, metadata or buffer).
    private final class Lines: Sendable {
        let handler: LineLogHandler
        let logLevel: Logger.Level
        init(handler: LineLogHandler) {
            self.handler = handler
            logLevel = handler.logLevel
        }
    }

    /// Calls `next` and logs the answer.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        // Below the logger's level: nothing to measure or format.
        guard isLogged else { return try await next(request, context) }
        let start = Self.now()
        let response: HTTPServerResponse
        do {
            response = try await next(request, context)
        } catch {
            log(Line(request, context), status: 500, bytes: 0, since: start, error: error)
            throw error
        }
        return finish(response, of: request, context, since: start)
    }

    /// Calls `next` and logs the answer, synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        guard isLogged else { return try next(request, context) }
        let start = Self.now()
        let response: HTTPServerResponse
        do {
            response = try next(request, context)
        } catch {
            log(Line(request, context), status: 500, bytes: 0, since: start, error: error)
            throw error
        }
        return finish(response, of: request, context, since: start)
    }

    /// Whether lines at `level` are written.
    private var isLogged: Bool { (lines?.logLevel ?? logger.logLevel) <= level }

    /// The monotonic clock in nanoseconds (one `clock_gettime`, no `Duration` arithmetic).
    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Logs `response` now, or when its streamed body has been written. The id is the request's,
    /// else the response's (when this middleware runs before ``RequestIDMiddleware``).
    private func finish(
        _ response: HTTPServerResponse, of request: HTTPServerRequest, _ context: RouteContext, since start: Int64
    ) -> HTTPServerResponse {
        let status = response.statusCode
        let bytes: Int
        switch response.body.storage {
        case .bytes(let body): bytes = body.count
        case .text(let text): bytes = text.utf8.count
        case .stream(let length, let produce):
            let line = Line(request, context, response)
            if request.method == .head {
                // The server never runs a HEAD response's producer.
                log(line, status: status, bytes: 0, since: start)
                return response
            }
            var response = response
            response.body = .stream(length: length) { [self] writer in
                let before = writer.bytesWritten
                do {
                    try await produce(writer)
                } catch {
                    log(line, status: status, bytes: writer.bytesWritten - before, since: start, error: error)
                    throw error
                }
                log(line, status: status, bytes: writer.bytesWritten - before, since: start)
            }
            return response
        }
        if let lines {
            // The usual line, built straight from the request: no Line, no message String.
            let end = Self.now()
            let micros = Int(max(end - start, 0) / 1000)
            let (method, path) = Self.methodAndPath(request, context)
            let id = request.requestID ?? response.headerFields.firstValue(RequestIDMiddleware.fieldName)
            write(to: lines, method: method, path: path, status: status, bytes: bytes, micros: micros, id: id, at: end)
        } else {
            log(Line(request, context, response), status: status, bytes: bytes, since: start)
        }
        return response
    }

    /// The method and path (without the query) as the router read them on arrival (no second
    /// read of the head), else from the head.
    private static func methodAndPath(_ request: HTTPServerRequest, _ context: RouteContext) -> (String, Substring) {
        if context.arrival != nil {
            return (context.arrival.unsafelyUnwrapped.method.rawValue, targetPath(context.arrival?.path ?? ""))
        }
        return (request.method.rawValue, targetPath(request.path ?? ""))
    }

    /// `GET /users/42 200 13B 152µs id=...` through `lines`, built on the stack.
    private func write(
        to lines: Lines, method: String, path: Substring, status: Int, bytes: Int, micros: Int, id: String?,
        at monotonic: Int64? = nil
    ) {
        let capacity = method.utf8.count + path.utf8.count + 72 + (id?.utf8.count ?? 0)
        lines.handler.write(level: level, messageCapacity: capacity, monotonic: monotonic) { text in
            text.append(method)
            text.append(UInt8(ascii: " "))
            text.append(path)
            text.append(UInt8(ascii: " "))
            text.append(decimal: status)
            text.append(UInt8(ascii: " "))
            text.append(decimal: bytes)
            text.append("B ")
            text.append(decimal: micros)
            text.append("µs")
            if let id {
                text.append(" id=")
                text.append(id)
            }
        }
    }

    /// What a line says of a request, kept where the line is written later (a streamed body) or
    /// through swift-log.
    private struct Line {
        let method: String
        let path: Substring
        let requestID: String?

        /// Method, path without the query, and request id of `request` (else of `response`).
        init(_ request: HTTPServerRequest, _ context: RouteContext, _ response: HTTPServerResponse? = nil) {
            (method, path) = RequestLoggingMiddleware.methodAndPath(request, context)
            requestID = request.requestID ?? response?.headerFields.firstValue(RequestIDMiddleware.fieldName)
        }
    }

    private func log(_ line: Line, status: Int, bytes: Int, since start: Int64, error: (any Error)? = nil) {
        let micros = Int(max(Self.now() - start, 0) / 1000)
        if let lines, error == nil {
            write(
                to: lines, method: line.method, path: line.path, status: status, bytes: bytes, micros: micros,
                id: line.requestID)
            return
        }
        let statusText = String(status)
        let bytesText = String(bytes)
        let microsText = String(micros)
        var message = ""
        message.reserveCapacity(
            line.method.utf8.count + line.path.utf8.count + 40 + (line.requestID?.utf8.count ?? 0))
        message += line.method
        message += " "
        message += String(line.path)
        message += " "
        message += statusText
        message += " "
        message += bytesText
        message += "B "
        message += microsText
        message += "µs"
        if let id = line.requestID {
            message += " id="
            message += id
        }
        if let error {
            message += " error: \(error)"
        }
        var metadata: Logger.Metadata?
        if withMetadata {
            var values: Logger.Metadata = [
                "http.method": .string(line.method), "http.path": .string(String(line.path)),
                "http.status": .string(statusText), "http.bytes": .string(bytesText),
                "http.duration_us": .string(microsText),
            ]
            if let id = line.requestID { values["http.request_id"] = .string(id) }
            if let error { values["error"] = .string("\(error)") }
            metadata = values
        }
        logger.log(level: level, Logger.Message(stringLiteral: message), metadata: metadata, source: "SchedulerHTTP")
    }
}
