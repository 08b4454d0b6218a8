import Foundation
import SchedulerPool
import SystemPackage
import Testing

@testable import SchedulerSocket

/// Receive and send timeouts on both backends: a typed `.timedOut`, and the socket stays usable.
@Suite("Timeouts", .timeLimit(.minutes(2)))
struct TimeoutTests {
    /// Seconds `body` took.
    static func elapsed(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("recv times out, then receives what arrives later")
    func receiveTimeout() throws {
        let (client, server, listener) = try makeConnectedPair()
        try server.setReceiveTimeout(.milliseconds(150))
        #expect(server.receiveTimeout == .milliseconds(150))
        var error: SocketError?
        let seconds = Self.elapsed { error = socketError { () throws(SocketError) in try server.recv(maxLength: 16) } }
        #expect(error == .timedOut(operation: .recv, address: server.remoteAddress))
        #expect(error?.description == "recv \(server.remoteAddress!): timed out")
        #expect(seconds >= 0.12 && seconds < 5)
        #expect(server.state == .connected)
        try client.send("late")
        #expect(try server.recv(maxLength: 16) == Array("late".utf8))
        try server.setReceiveTimeout(nil)
        #expect(server.receiveTimeout == nil)
        _ = listener
    }

    @Test("accept times out, then accepts; accepted sockets inherit the timeouts")
    func acceptTimeout() throws {
        let (listener, address) = try makeListener()
        try listener.setReceiveTimeout(.milliseconds(100))
        try listener.setSendTimeout(.milliseconds(300))
        #expect(
            socketError { () throws(SocketError) in try listener.accept() }
                == .timedOut(operation: .accept, address: address))
        #expect(listener.state == .listening)
        let client = try Socket.tcpV4()
        try client.connect(to: address)
        let server = try listener.accept()
        #expect(server.receiveTimeout == .milliseconds(100) && server.sendTimeout == .milliseconds(300))
        #expect(
            socketError { () throws(SocketError) in try server.recv(maxLength: 4) }
                == .timedOut(operation: .recv, address: server.remoteAddress))
    }

    @Test("recvFrom times out on UDP, then receives")
    func receiveFromTimeout() throws {
        let socket = try Socket.udpV4()
        try socket.bind(LoopbackAddresses.nextSocketAddress())
        try socket.setReceiveTimeout(.milliseconds(100))
        #expect(
            socketError { () throws(SocketError) in try socket.recvFrom(maxLength: 16) }
                == .timedOut(operation: .recvFrom, address: socket.localAddress))
        let sender = try Socket.udpV4()
        try sender.send("after", to: socket.localAddress!)
        #expect(try socket.recvFrom(maxLength: 16).data == Array("after".utf8))
    }

    @Test("send times out when the peer stops reading; the connection still works the other way")
    func sendTimeout() throws {
        let (client, server, listener) = try makeConnectedPair()
        try client.setSendTimeout(.milliseconds(200))
        let big = [UInt8](repeating: 0x55, count: 64 << 20)
        let error = socketError { () throws(SocketError) in try client.send(big) }
        #expect(error == .timedOut(operation: .send, address: client.remoteAddress))
        #expect(client.state == .connected)
        try server.send("still here")
        #expect(try client.recv(maxLength: 32) == Array("still here".utf8))
        _ = listener
    }

    @Test("connect times out against a listener whose queue is full")
    func connectTimeout() throws {
        let (listener, address) = try makeListener()
        // Refill the smallest queue; the kernel then drops further SYNs, so connects hang.
        try listener.withDescriptor { _ = Foundation.listen($0, 0) }
        var queued: [Socket] = []
        var timedOut: SocketError?
        for _ in 0..<8 {
            let client = try Socket.tcpV4()
            try client.setSendTimeout(.milliseconds(200))
            do {
                try client.connect(to: address)
                queued.append(client)
            } catch {
                timedOut = error
                #expect(client.state == .created)
                break
            }
        }
        #expect(timedOut == .timedOut(operation: .connect, address: address))
        _ = listener
    }
}
