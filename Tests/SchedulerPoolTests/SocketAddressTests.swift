import Testing

@testable import SchedulerPool

@Suite("Socket addresses", .timeLimit(.minutes(2)))
struct SocketAddressTests {
    @Test func buildsFromHostAndPort() throws {
        let v4 = try SocketAddress(host: "192.168.1.1", port: 8080)
        #expect(v4.host == "192.168.1.1")
        #expect(v4.port == 8080)
        #expect(v4.ip == IPAddress("192.168.1.1"))
        #expect(v4.description == "192.168.1.1:8080")
        let v6 = try SocketAddress(host: "0:0::1", port: 80)
        #expect(v6.host == "::1")
        #expect(v6.description == "[::1]:80")
        #expect(
            SocketAddress(ip: IPAddress(ipv4: 0x7F00_0001), port: 1) == (try SocketAddress(host: "127.0.0.1", port: 1)))
    }

    @Test func badHostThrowsMalformedAddressNamingIt() {
        #expect(throws: IPPoolError.malformedAddress("localhost")) { try SocketAddress(host: "localhost", port: 1) }
        #expect(throws: IPPoolError.malformedAddress("[::1]")) { try SocketAddress(host: "[::1]", port: 1) }
        let error = IPPoolError.malformedAddress("1.2.3.256")
        #expect(error.description.contains("\"1.2.3.256\""))
    }

    @Test func parsesText() {
        #expect(SocketAddress("127.0.0.1:80") == SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80))
        #expect(SocketAddress("[::1]:65535")?.port == 65535)
        #expect(SocketAddress("[::1]:65536") == nil)
        #expect(SocketAddress("::1:80") == nil)
        #expect(SocketAddress("[127.0.0.1]:80") == nil)
        #expect(SocketAddress("127.0.0.1") == nil)
        #expect(SocketAddress("127.0.0.1:") == nil)
    }
}
