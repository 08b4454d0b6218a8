import Foundation
import HTTPTypes
import Logging
import SchedulerPool
@testable import SchedulerHTTP
import Testing

/// LineLogHandler: one line per event through a real pipe, the time formatted without libc's
/// calendar functions, and metadata only when asked.
@Suite(.timeLimit(.minutes(1))) struct LineLogHandlerTests {
    /// Runs `body` with a logger writing to a pipe, then returns what the pipe got.
    static func lines(includeMetadata: Bool = false, _ body: (Logger) -> Void) throws -> [String] {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "requests") { label in
            LineLogHandler(label: label, fileDescriptor: fds[1], includeMetadata: includeMetadata)
        }
        logger.logLevel = .info
        body(logger)
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
    }

    @Test func writesOneLinePerEventWithTimeLevelLabelAndMessage() throws {
        let before = Date()
        let lines = try Self.lines { logger in
            logger.info("GET /users/42 200 7B 12µs", metadata: ["http.status": "200"])
            logger.debug("below the level")
            logger.error("second")
        }
        #expect(lines.count == 3 && lines[2].isEmpty)
        let parts = lines[0].split(separator: " ", maxSplits: 3).map(String.init)
        try #require(parts.count == 4)
        #expect(parts[1] == "info" && parts[2] == "requests:" && parts[3] == "GET /users/42 200 7B 12µs")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamp = try #require(formatter.date(from: parts[0]))
        #expect(abs(stamp.timeIntervalSince(before)) < 5)
        #expect(lines[1].hasSuffix(" error requests: second"))
    }

    @Test func printsSortedMetadataOnlyWhenAsked() throws {
        let without = try Self.lines { $0.info("hello", metadata: ["b": "2", "a": "1"]) }
        #expect(without[0].hasSuffix("requests: hello"))
        let with = try Self.lines(includeMetadata: true) { logger in
            var logger = logger
            logger[metadataKey: "c"] = "3"
            logger.info("hello", metadata: ["b": "2", "a": "1"])
        }
        #expect(with[0].hasSuffix("requests: hello a=1 b=2 c=3"))
    }

    /// The request log line through a router: the values in the message, and as metadata only
    /// when the handler prints metadata (RequestLoggingMiddleware skips building it otherwise).
    @Test(arguments: [false, true])
    func requestLinesCarryMetadataOnlyWhenPrinted(includeMetadata: Bool) async throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let logger = Logger(label: "requests") { label in
            LineLogHandler(label: label, fileDescriptor: fds[1], includeMetadata: includeMetadata)
        }
        var router = HTTPRouter()
        router.use(RequestIDMiddleware())
        router.use(RequestLoggingMiddleware(logger: logger))
        try router.get("/users/:id") { _, context in "user \(context["id"]!)" }
        var head = HTTPRequest(method: .get, scheme: nil, authority: "a", path: "/users/7?x=1")
        head.headerFields[RequestIDMiddleware.fieldName] = "abc-1"
        let response = try await router.route(
            HTTPServerRequest(head: head, localAddress: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)))
        #expect(response.head.headerFields[RequestIDMiddleware.fieldName] == "abc-1")
        close(fds[1])
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(fds[0], &chunk, chunk.count)
        let line = String(decoding: chunk[..<max(count, 0)], as: UTF8.self)
        let message = try #require(line.split(separator: ": ", maxSplits: 1).last.map(String.init))
        let words = message.dropLast().split(separator: " ").map(String.init)
        let expectedStart = ["GET", "/users/7", "200", "6B"]
        #expect(Array(words.prefix(4)) == expectedStart)
        #expect(words.count > 5 && words[4].hasSuffix("µs") && words[5] == "id=abc-1")
        if includeMetadata {
            #expect(words.dropFirst(6) == [
                "http.bytes=6", "http.duration_us=\(words[4].dropLast(2))", "http.method=GET", "http.path=/users/7",
                "http.request_id=abc-1", "http.status=200",
            ])
        } else {
            #expect(words.count == 6)
        }
    }

    @Test(arguments: [Int64(0), 951_782_400, 951_868_799, 1_764_928_831, 4_102_444_800, -1, -86_401, 253_402_300_799])
    func formatsTheTimeAsGmtimeDoes(_ seconds: Int64) {
        var line: [UInt8] = []
        LineTimestamp.append(seconds: seconds, milliseconds: 7, to: &line)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let expected = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.007Z", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }

    @Test func formatsEveryDayOfFourHundredYearsAsGmtimeDoes() {
        var day: Int64 = -30 * 366
        while day < 400 * 366 {
            let (year, month, mday) = LineTimestamp.civil(daysSinceEpoch: day)
            var time = time_t(day * 86_400)
            var parts = tm()
            gmtime_r(&time, &parts)
            if year != Int64(parts.tm_year) + 1900 || month != Int(parts.tm_mon) + 1 || mday != Int(parts.tm_mday) {
                Issue.record("day \(day): \(year)-\(month)-\(mday)")
                return
            }
            day += 1
        }
    }
}
