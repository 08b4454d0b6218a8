import Foundation
import SchedulerPool
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerSocket

/// One owner per descriptor: no leak, no double close, nothing usable after close, and the
/// escape hatch (borrow, give up, adopt).
@Suite("Descriptor ownership", .timeLimit(.minutes(2)))
struct DescriptorOwnershipTests {
    @Test("2,000 connect/accept/close cycles leave the descriptor count unchanged")
    func noLeakOverManyCycles() throws {
        let (listener, address) = try makeListener()
        let (before, socketsBefore) = (openDescriptorCountExcludingRings(), openSocketCount())
        for cycle in 0..<2_000 {
            let client = try Socket.tcpV4()
            try client.connect(to: address)
            let server = try listener.accept()
            try client.send([UInt8(truncatingIfNeeded: cycle)])
            #expect(try server.recv(maxLength: 1) == [UInt8(truncatingIfNeeded: cycle)])
            if cycle.isMultiple(of: 2) {
                try client.close()
                try server.close()
            }  // odd cycles: the last reference going away closes them
        }
        // Exactly as many sockets as before; no other descriptor either (Foundation may close
        // one of its own meanwhile, hence <=).
        #expect(openSocketCountSettling(atMost: socketsBefore) <= socketsBefore)
        #expect(openDescriptorCountExcludingRingsSettling(atMost: before) <= before)
        try listener.close()
        #expect(openSocketCountSettling(atMost: socketsBefore - 1) <= socketsBefore - 1)
    }

    @Test("close closes the descriptor once; a second close is a typed error, not close(2)")
    func closeOnce() throws {
        let socket = try Socket.tcpV4()
        let descriptor = socket.handle
        try socket.close()
        #expect(!isOpen(descriptor))
        // Another file may now reuse the number; a second close must not touch it.
        let reuser = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { Foundation.close(reuser) }
        #expect(
            socketError { () throws(SocketError) in try socket.close() }
                == .illegalState(operation: .close, state: .closed, protocol: .tcp))
        #expect(
            socketError { () throws(SocketError) in try socket.withDescriptor { $0 } }
                == .illegalState(operation: .borrowDescriptor, state: .closed, protocol: .tcp))
        #expect(socket.handle == -1)
        if reuser == descriptor { #expect(isOpen(reuser)) }
    }

    @Test("the last reference closes the descriptor")
    func deinitCloses() throws {
        var descriptor: Int32 = -1
        do {
            let socket = try Socket.udpV4()
            descriptor = socket.handle
            #expect(isOpen(descriptor))
        }
        #expect(!isOpen(descriptor))
    }

    @Test("close from another thread wakes a blocked recv, which throws; nothing leaks")
    func closeWakesBlockedReceive() throws {
        let (before, socketsBefore) = (openDescriptorCountExcludingRings(), openSocketCount())
        do {
            let (client, server, listener) = try makeConnectedPair()
            let reader = Background { () -> SocketError? in
                socketError { () throws(SocketError) in try server.recv(maxLength: 16) }
            }
            try #require(waitUntilInFlight(server), "the recv never started")
            try server.close()
            var woken = try reader.value(within: 5)
            #expect(woken != nil, "close did not wake the blocked recv within 5 s")
            if woken == nil {  // unblock the reader
                try client.send([1])
                woken = try reader.value(within: 5)
            }
            #expect(woken == .illegalState(operation: .recv, state: .closed, protocol: .tcp))
            #expect(server.handle == -1)
            _ = (client, listener)
        }
        #expect(openSocketCountSettling(atMost: socketsBefore) <= socketsBefore)
        #expect(openDescriptorCountExcludingRingsSettling(atMost: before) <= before)
    }

    @Test("close from another thread wakes a blocked accept")
    func closeWakesBlockedAccept() throws {
        let (listener, address) = try makeListener()
        let acceptor = Background { () -> SocketError? in
            socketError { () throws(SocketError) in try listener.accept() }
        }
        try #require(waitUntilInFlight(listener), "the accept never started")
        try listener.close()
        var woken = try acceptor.value(within: 5)
        #expect(woken != nil, "close did not wake the blocked accept within 5 s")
        if woken == nil {  // unblock the acceptor
            let client = try Socket.tcpV4()
            try client.connect(to: address)
            woken = try acceptor.value(within: 5)
        }
        #expect(woken == .illegalState(operation: .accept, state: .closed, protocol: .tcp))
    }

    @Test("close from another thread wakes a blocked UDP recvFrom")
    func closeWakesBlockedReceiveFrom() throws {
        let socket = try Socket.udpV4()
        try socket.bind(LoopbackAddresses.nextSocketAddress())
        let receiver = Background { () -> SocketError? in
            socketError { () throws(SocketError) in try socket.recvFrom(maxLength: 16) }
        }
        let address = try #require(socket.localAddress)
        try #require(waitUntilInFlight(socket), "the recvFrom never started")
        try socket.close()
        var woken = try receiver.value(within: 5)
        #expect(woken != nil, "close did not wake the blocked recvFrom within 5 s")
        if woken == nil {  // unblock the receiver
            _ = try Socket.udpV4().send([1], to: address)
            woken = try receiver.value(within: 5)
        }
        #expect(woken == .illegalState(operation: .recvFrom, state: .closed, protocol: .udp))
    }

    @Test("borrow, give up and adopt: a bound socket handed over keeps its state")
    func escapeHatch() throws {
        let (listener, address) = try makeListener()
        let borrowed = try listener.withDescriptor { $0 }
        #expect(borrowed == listener.handle)

        let descriptor = try listener.releaseDescriptor()
        #expect(listener.state == .closed && listener.handle == -1)
        #expect(isOpen(descriptor))  // given up, not closed
        #expect(
            socketError { () throws(SocketError) in try listener.accept() }
                == .illegalState(operation: .accept, state: .closed, protocol: .tcp))

        let adopted = try Socket(adopting: descriptor)
        #expect(adopted.state == .listening && adopted.protocol == .tcp && adopted.family == .ipv4)
        #expect(adopted.localAddress == address)
        let client = try Socket.tcpV4()
        try client.connect(to: address)
        let server = try adopted.accept()
        #expect(server.remoteAddress == client.localAddress)

        // A connected descriptor adopts as connected, with its peer; an unbound one as created.
        let connected = try Socket(adopting: try client.releaseDescriptor())
        #expect(connected.state == .connected && connected.remoteAddress == address)
        try connected.send("adopted")
        #expect(try server.recv(maxLength: 16) == Array("adopted".utf8))
        let fresh = try Socket(adopting: try Socket.udpV6().releaseDescriptor())
        #expect(fresh.state == .created && fresh.protocol == .udp && fresh.family == .ipv6)

        try adopted.close()
        #expect(!isOpen(descriptor))
    }

    @Test("a bound pool socket can be given up to another library and used there")
    func handOffBoundSocket() throws {
        let pool = IPPool(name: "handoff")
        try pool.addCIDRRange("127.78.9.0/24")
        let ip = try pool.allocate(subinstance: "t", resource: "nio", type: .custom("socket"))
        let socket = try Socket.tcpV4()
        try socket.bind(with: try #require(pool.binding(for: ip)), port: 0)
        let port = try #require(socket.localPort)
        let descriptor = try socket.releaseDescriptor()
        // The other library (plain POSIX here, as SwiftNIO's withBoundSocket would) listens on it.
        #expect(Foundation.listen(descriptor, 8) == 0)
        let client = try Socket.tcpV4()
        try client.connect(to: SocketAddress(ip: ip, port: port))
        let accepted = accept(descriptor, nil, nil)
        #expect(accepted >= 0)
        Foundation.close(accepted)
        Foundation.close(descriptor)
    }
}
