public import Logging

/// Logs one line per request with swift-log: method, path (without the query), status, body
/// bytes, microseconds, and the request id, e.g. `GET /users/42 200 13B 152µs`, with the same
/// values as metadata (`http.method`, `http.path`, `http.status`, `http.bytes`,
/// `http.duration_us`, `http.request_id`).
///
/// A streamed body is logged when it has been written (its bytes and time included); a handler
/// that throws is logged as 500 with the error and the error is thrown on. Put it after
/// ``RequestIDMiddleware`` or before it: the id is read from the request or the response.
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
            self.lines = lines.includeMetadata ? nil : lines
        } else {
            withMetadata = true
            lines = nil
        }
    }

    /// Whether lines carry the values as metadata too (not for a ``LineLogHandler`` that prints none).
    private let withMetadata: Bool
    /// The logger's handler when it is a ``LineLogHandler`` that prints no metadata: lines then go
    /// to it directly, built on the stack (the same bytes, no message `String`, no swift-log event).
    private let lines: LineLogHandler?

    /// Calls `next` and logs the answer.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        // Below the logger's level: nothing to measure or format.
        guard logger.logLevel <= level else { return try await next(request, context) }
        let start = ContinuousClock.now
        let line = Line(request)
        let response: HTTPServerResponse
        do {
            response = try await next(request, context)
        } catch {
            log(line, status: 500, bytes: 0, since: start, error: error)
            throw error
        }
        return finish(response, of: request, line, since: start)
    }

    /// Calls `next` and logs the answer, synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        guard logger.logLevel <= level else { return try next(request, context) }
        let start = ContinuousClock.now
        let line = Line(request)
        let response: HTTPServerResponse
        do {
            response = try next(request, context)
        } catch {
            log(line, status: 500, bytes: 0, since: start, error: error)
            throw error
        }
        return finish(response, of: request, line, since: start)
    }

    /// Logs `response` now, or when its streamed body has been written.
    private func finish(
        _ response: HTTPServerResponse, of request: HTTPServerRequest, _ line: Line,
        since start: ContinuousClock.Instant
    ) -> HTTPServerResponse {
        let status = response.head.status.code
        let id = response.head.headerFields.firstValue(RequestIDMiddleware.fieldName)
        let finished = id == nil || id == line.requestID
            ? line : Line(method: line.method, path: line.path, requestID: id)
        switch response.body.storage {
        case .bytes(let bytes):
            log(finished, status: status, bytes: bytes.count, since: start)
        case .text(let text):
            log(finished, status: status, bytes: text.utf8.count, since: start)
        case .stream(let length, let produce):
            if request.head.method == .head {
                // The server never runs a HEAD response's producer.
                log(finished, status: status, bytes: 0, since: start)
                return response
            }
            var response = response
            response.body = .stream(length: length) { [self] writer in
                let before = writer.bytesWritten
                do {
                    try await produce(writer)
                } catch {
                    log(finished, status: status, bytes: writer.bytesWritten - before, since: start, error: error)
                    throw error
                }
                log(finished, status: status, bytes: writer.bytesWritten - before, since: start)
            }
            return response
        }
        return response
    }

    private struct Line {
        let method: String
        let path: String
        let requestID: String?

        init(method: String, path: String, requestID: String?) {
            self.method = method
            self.path = path
            self.requestID = requestID
        }

        /// Method, path without the query, and request id of `request`.
        init(_ request: HTTPServerRequest) {
            self.init(
                method: request.head.method.rawValue, path: String(targetPath(request.head.path ?? "")),
                requestID: request.requestID)
        }
    }

    private func log(
        _ line: Line, status: Int, bytes: Int, since start: ContinuousClock.Instant, error: (any Error)? = nil
    ) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        if let lines, error == nil {
            let capacity = line.method.utf8.count + line.path.utf8.count + 72 + (line.requestID?.utf8.count ?? 0)
            lines.write(level: level, messageCapacity: capacity) { text in
                text.append(line.method)
                text.append(UInt8(ascii: " "))
                text.append(line.path)
                text.append(UInt8(ascii: " "))
                text.append(decimal: status)
                text.append(UInt8(ascii: " "))
                text.append(decimal: bytes)
                text.append("B ")
                text.append(decimal: Int(micros))
                text.append("µs")
                if let id = line.requestID {
                    text.append(" id=")
                    text.append(id)
                }
            }
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
        message += line.path
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
                "http.method": .string(line.method), "http.path": .string(line.path),
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
