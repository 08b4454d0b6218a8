import Glibc
import SchedulerHTTP
import Testing

/// The connect timeout: a listener with backlog 0 whose queue is full drops further SYNs.
@Suite(.timeLimit(.minutes(1))) struct ConnectTimeoutTests {
    @Test func connectTimeoutIsTyped() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound && listen(fd, 0) == 0)
        let port = UInt16(bigEndian: address.sin_port)
        // Fill the accept queue (never accepted): later SYNs are dropped, a connect hangs.
        var fillers: [Int32] = []
        defer { for filler in fillers { close(filler) } }
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = address
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(filler)
            usleep(20_000)
        }
        let client = try makeClient { $0.connectTimeout = .milliseconds(300) }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: HTTPClientError.timedOut(.connect)) { _ = try await client.get("http://127.0.0.1:\(port)/") }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(5), "\(elapsed)")
        // A total deadline shorter than the connect timeout is reported as the total one.
        await #expect(throws: HTTPClientError.timedOut(.total)) {
            _ = try await client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .milliseconds(100))
        }
        await client.shutdown()
    }
}
