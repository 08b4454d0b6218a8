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

    /// Buffered lines: one at a time, since ``LineLogHandler/flush()`` writes every buffer.
    @Suite(.serialized) struct Buffered {
        /// A pipe whose write end is moved to `number` (distinct per test: a buffer belongs to its
        /// descriptor number for the life of the process); returns the read end, non-blocking.
        static func bufferedPipe(at number: Int32) throws -> Int32 {
            var fds: [Int32] = [0, 0]
            try #require(Glibc.pipe(&fds) == 0)
            try #require(dup2(fds[1], number) == number)
            close(fds[1])
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            return fds[0]
        }

        /// What the pipe holds once something arrives within `milliseconds` ("" if nothing does).
        static func drain(_ fd: Int32, within milliseconds: Int32) -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            var waitFor = milliseconds
            while true {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, waitFor) <= 0 { break }
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[..<count]
                waitFor = 20
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        @Test func bufferedLinesWaitForFlushAndKeepTheirOrder() throws {
            let reader = try Self.bufferedPipe(at: 901)
            defer { close(reader); close(901) }
            var logger = Logger(label: "buffered") { label in
                LineLogHandler(label: label, fileDescriptor: 901, bufferSize: 1 << 20, flushInterval: .seconds(3600))
            }
            logger.logLevel = .info
            for index in 0..<3 { logger.info("line \(index)") }
            #expect(Self.drain(reader, within: 100) == "")
            LineLogHandler.flush()
            let lines = Self.drain(reader, within: 1000).split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines.enumerated().allSatisfy { $0.element.hasSuffix("info buffered: line \($0.offset)") })
        }

        @Test func aFullBufferIsWrittenWithoutAFlush() throws {
            let reader = try Self.bufferedPipe(at: 902)
            defer { close(reader); close(902) }
            var logger = Logger(label: "full") { label in
                LineLogHandler(label: label, fileDescriptor: 902, bufferSize: 100, flushInterval: .seconds(3600))
            }
            logger.logLevel = .info
            logger.info("first")
            #expect(Self.drain(reader, within: 100) == "")
            logger.info(Logger.Message(stringLiteral: String(repeating: "x", count: 80)))
            let lines = Self.drain(reader, within: 1000).split(separator: "\n")
            #expect(lines.count == 2 && lines[0].hasSuffix("full: first") && lines[1].hasSuffix(String(repeating: "x", count: 80)))
        }

        @Test func theFlusherWritesWithinItsInterval() throws {
            let reader = try Self.bufferedPipe(at: 903)
            defer { close(reader); close(903) }
            var logger = Logger(label: "timed") { label in
                LineLogHandler(label: label, fileDescriptor: 903, bufferSize: 1 << 20, flushInterval: .milliseconds(50))
            }
            logger.logLevel = .info
            logger.info("soon")
            #expect(Self.drain(reader, within: 3000).hasSuffix("timed: soon\n"))
        }

        @Test func linesOfManyThreadsStayWholeAndInOrderPerThread() async throws {
            let reader = try Self.bufferedPipe(at: 904)
            defer { close(reader); close(904) }
            let logger = Logger(label: "threads") { label in
                LineLogHandler(label: label, fileDescriptor: 904, bufferSize: 4096, flushInterval: .seconds(3600))
            }
            // Read while writing: the pipe holds 64 KiB, more than that would block the writers.
            let collected = Task.detached { () -> String in
                var all = ""
                while !all.hasSuffix("threads: done\n") {
                    let more = Self.drain(reader, within: 5000)
                    if more.isEmpty { break }
                    all += more
                }
                return all
            }
            await withTaskGroup(of: Void.self) { group in
                for thread in 0..<4 {
                    group.addTask { for index in 0..<500 { logger.info("t\(thread) \(index)") } }
                }
            }
            logger.info("done")
            LineLogHandler.flush()
            let lines = await collected.value.split(separator: "\n").map { $0.split(separator: ": ").last.map(String.init) ?? "" }
            #expect(lines.count == 2001)
            for thread in 0..<4 {
                #expect(lines.filter { $0.hasPrefix("t\(thread) ") } == (0..<500).map { "t\(thread) \($0)" })
            }
        }
    }
}
