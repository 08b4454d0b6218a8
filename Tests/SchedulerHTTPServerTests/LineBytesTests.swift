import Foundation
import HTTPTypes
import Logging
import SchedulerPool
@testable import SchedulerHTTP
import Testing

/// LineBytes, the stack-built log line: decimals as `String(_:)` prints them, a line cut (and
/// still ended) when the memory is too small, and long request lines written whole.
@Suite(.timeLimit(.minutes(1))) struct LineBytesTests {
    static func built(capacity: Int, _ body: (inout LineBytes) -> Void) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { memory in
            var line = LineBytes(memory)
            body(&line)
            return String(decoding: line.bytes, as: UTF8.self)
        }
    }

    @Test(arguments: [0, 7, 10, -12, 1_000_000, Int.max, Int.min])
    func decimalsMatchTheStandardLibrary(_ value: Int) {
        #expect(Self.built(capacity: 32) { $0.append(decimal: value) } == String(value))
    }

    static func clock(_ id: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(id, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// A line's time taken from the monotonic clock the logging middleware read is the wall
    /// clock's, also when the cached difference is more than a second old and is taken again.
    @Test func wallClockFromTheMonotonicClock() {
        for later in [Int64(0), 0, 2_000_000_000, 3_500_000_000] {
            let wallBefore = Self.clock(CLOCK_REALTIME)
            let derived = LineTimestamp.wallClock(monotonic: Self.clock(CLOCK_MONOTONIC) + later) - later
            let wallAfter = Self.clock(CLOCK_REALTIME)
            // Within the two reads, give or take a millisecond of slewing or scheduling.
            #expect(derived >= wallBefore - 1_000_000 && derived <= wallAfter + 1_000_000, "\(later): \(derived - wallBefore) ns")
        }
        var line = ""
        var derivedLine = ""
        for _ in 0..<3 {
            line = Self.built(capacity: 64) { LineTimestamp.append(to: &$0) }
            derivedLine = Self.built(capacity: 64) { LineTimestamp.append(to: &$0, monotonic: Self.clock(CLOCK_MONOTONIC)) }
            if line.prefix(19) == derivedLine.prefix(19) { break }  // the same second (one may cross it)
        }
        #expect(line.prefix(19) == derivedLine.prefix(19))
        #expect(derivedLine.count == 24 && derivedLine.hasSuffix("Z"))
    }

    @Test func aTooSmallLineIsCutAndStillEnded() {
        let line = Self.built(capacity: 8) { line in
            line.append("GET /a-long-path")
            line.append(decimal: 123_456)
            line.endLine()
        }
        #expect(line == "GET /a-\n")
        #expect(Self.built(capacity: 8) { line in line.append("ok"); line.endLine() } == "ok\n")
    }

    /// A request line with a 3,000-byte path and an error line (the swift-log path) both come out
    /// whole through a real pipe.
    @Test func longRequestLinesAndErrorLinesAreWhole() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "broken handler" } }
        let path = "/files/" + String(repeating: "x", count: 3000)
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let logger = Logger(label: "requests") { label in LineLogHandler(label: label, fileDescriptor: fds[1]) }
        var router = HTTPRouter()
        router.use(RequestLoggingMiddleware(logger: logger))
        try router.get("/files/:name") { _, _ in "file" }
        try router.get("/broken") { _, _ -> String in throw Broken() }
        let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)
        _ = try await router.route(HTTPServerRequest(head: HTTPRequest(method: .get, scheme: nil, authority: "a", path: path), localAddress: local))
        _ = try? await router.route(HTTPServerRequest(head: HTTPRequest(method: .get, scheme: nil, authority: "a", path: "/broken"), localAddress: local))
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        let first = try #require(lines[0].split(separator: ": ", maxSplits: 1).last).split(separator: " ")
        #expect(first.count == 5 && first[0] == "GET" && first[1] == path && first[2] == "200" && first[3] == "4B")
        #expect(first.last?.hasSuffix("µs") == true)
        #expect(lines[1].contains(" info requests: GET /broken 500 0B "))
        #expect(lines[1].hasSuffix(" error: broken handler"))
    }
}
