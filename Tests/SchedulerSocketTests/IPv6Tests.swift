import Foundation
import SchedulerPool
import Testing

@testable import SchedulerSocket

@Suite("IPv6 on ::1", .timeLimit(.minutes(2)))
struct IPv6Tests {
    @Test("TCP over ::1: connect, exchange, addresses")
    func tcpOverLoopback() throws {
        let (client, server, listener) = try makeConnectedPair(family: .ipv6)
        let loopback = try #require(IPAddress("::1"))
        #expect(listener.localIP == loopback && client.remoteAddress == listener.localAddress)
        #expect(server.remoteAddress == client.localAddress && server.family == .ipv6)
        try client.send(Array(repeating: 0x42, count: 100_000))
        var received = 0
        while received < 100_000 { received += try server.recv(maxLength: 65_536).count }
        #expect(received == 100_000)
        #expect(listener.localAddress?.description.hasPrefix("[::1]:") == true)
    }

    @Test("UDP over ::1: send(to:) and recvFrom")
    func udpOverLoopback() throws {
        let a = try Socket.udpV6()
        try a.bind(SocketAddress(host: "::1", port: 0))
        let b = try Socket.udpV6()
        try b.bind(SocketAddress(host: "::1", port: 0))
        try a.send("v6 datagram", to: b.localAddress!)
        let (data, sender) = try b.recvFrom(maxLength: 100)
        #expect(data == Array("v6 datagram".utf8) && sender == a.localAddress)
    }

    @Test("IPV6_V6ONLY is set on request")
    func v6Only() throws {
        let socket = try Socket.tcpV6()
        try socket.setIPv6Only(true)
        let value = try socket.withDescriptor { descriptor -> Int32 in
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, &length)
            return value
        }
        #expect(value == 1)
        try socket.bind(SocketAddress(host: "::1", port: 0))
        #expect(socket.state == .bound)
        // A v4 socket has no IPv6 options: the kernel's error, typed.
        let v4 = try Socket.tcpV4()
        #expect(socketError { () throws(SocketError) in try v4.setIPv6Only(true) }?.errno != nil)
    }
}
