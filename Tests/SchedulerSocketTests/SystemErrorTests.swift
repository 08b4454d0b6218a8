import Foundation
import SchedulerPool
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerSocket

/// Real system errors from real sockets: the errno, the operation, the address, the message.
@Suite("System errors", .timeLimit(.minutes(2)))
struct SystemErrorTests {
    @Test("EADDRINUSE: binding the address a listener holds")
    func addressInUse() throws {
        let (listener, address) = try makeListener()
        let second = try Socket.tcpV4()
        let error = socketError { () throws(SocketError) in try second.bind(address) }
        #expect(error == .system(operation: .bind, address: address, errno: .addressInUse))
        #expect(error?.description == "bind \(address): Address already in use (EADDRINUSE, errno 98)")
        #expect(second.state == .created && second.localAddress == nil)
        // Nothing changed: the socket still binds elsewhere.
        try second.bind(LoopbackAddresses.nextSocketAddress())
        #expect(second.state == .bound)
        _ = listener
    }

    @Test("ECONNREFUSED: connecting where nobody listens; the socket can connect again")
    func connectionRefused() throws {
        let nobody = SocketAddress(ip: LoopbackAddresses.next(), port: 9)
        let client = try Socket.tcpV4()
        let error = socketError { () throws(SocketError) in try client.connect(to: nobody) }
        #expect(error == .system(operation: .connect, address: nobody, errno: .connectionRefused))
        #expect(error?.errno == .connectionRefused)
        #expect(error?.description == "connect \(nobody): Connection refused (ECONNREFUSED, errno 111)")
        #expect(client.state == .created && client.remoteAddress == nil)
        let (listener, address) = try makeListener()
        try client.connect(to: address)
        #expect(client.state == .connected)
        _ = listener
    }

    @Test("EADDRNOTAVAIL: binding an address this host does not have; IP_FREEBIND allows it")
    func addressNotAvailable() throws {
        // 192.0.2.0/24 is TEST-NET-1: never local. Binding sends nothing.
        let foreign = try SocketAddress(host: "192.0.2.77", port: 0)
        let socket = try Socket.udpV4()
        let error = socketError { () throws(SocketError) in try socket.bind(foreign) }
        #expect(error == .system(operation: .bind, address: foreign, errno: .addressNotAvailable))
        #expect(error?.description == "bind 192.0.2.77:0: Cannot assign requested address (EADDRNOTAVAIL, errno 99)")
        #expect(socket.state == .created)

        let freeBound = try Socket.tcpV4()
        try freeBound.setFreeBind(true)
        try freeBound.bind(foreign)
        #expect(freeBound.state == .bound && freeBound.localIP == foreign.ip)
    }

    @Test("ENOTSOCK: adopting a descriptor that is not a socket leaves it open and the caller's")
    func notASocket() throws {
        let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { Foundation.close(descriptor) }
        let error = socketError { () throws(SocketError) in try Socket(adopting: descriptor) }
        #expect(error == .system(operation: .adopt, address: nil, errno: .notSocket))
        #expect(error?.errno?.rawValue == ENOTSOCK)
        #expect(error?.description == "adopt: Socket operation on non-socket (ENOTSOCK, errno 88)")
        #expect(isOpen(descriptor))
    }

    @Test("an address of the other family is refused before any system call")
    func familyMismatch() throws {
        let socket = try Socket.tcpV4()
        let v6 = try SocketAddress(host: "::1", port: 80)
        let error = socketError { () throws(SocketError) in try socket.bind(v6) }
        #expect(error == .familyMismatch(operation: .bind, address: v6, socketFamily: .ipv4))
        #expect(error?.description == "bind [::1]:80: an IPv6 address on an IPv4 socket")
        #expect(socket.state == .created)
        let udp6 = try Socket.udpV6()
        let v4 = SocketAddress(ip: LoopbackAddresses.next(), port: 9)
        #expect(
            socketError { () throws(SocketError) in try udp6.send([1], to: v4) }
                == .familyMismatch(operation: .sendTo, address: v4, socketFamily: .ipv6))
        #expect(udp6.state == .created)
    }

    @Test("bad arguments are typed errors and change nothing")
    func badArguments() throws {
        let (client, server, listener) = try makeConnectedPair()
        #expect(
            socketError { () throws(SocketError) in try server.recv(maxLength: 0) }
                == .invalidArgument(operation: .recv, reason: "maxLength must be positive, got 0"))
        #expect(socketError { () throws(SocketError) in try server.setReceiveTimeout(.zero) }?.operation == .setOption)
        #expect(server.receiveTimeout == nil)
        let fresh = try Socket.tcpV4()
        try fresh.bind(LoopbackAddresses.nextSocketAddress())
        #expect(
            socketError { () throws(SocketError) in try fresh.listen(backlog: -1) }
                == .invalidArgument(operation: .listen, reason: "backlog must not be negative, got -1"))
        #expect(fresh.state == .bound)
        #expect(socketError { () throws(SocketError) in try Socket(adopting: -1) }?.operation == .adopt)
        try client.send("still fine")
        #expect(try server.recv(maxLength: 64) == Array("still fine".utf8))
        _ = listener
    }

    @Test("a TCP-only option on UDP is the kernel's error, with the operation")
    func optionErrors() throws {
        let udp = try Socket.udpV4()
        let error = socketError { () throws(SocketError) in try udp.setNoDelay(true) }
        #expect(error?.operation == .setOption)
        #expect(error?.errno != nil)
        #expect(udp.state == .created)
    }
}
