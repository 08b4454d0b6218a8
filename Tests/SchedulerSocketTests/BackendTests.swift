import CTestProbes
import Foundation
import Testing

@testable import SchedulerSocket

@Suite("I/O backend", .timeLimit(.minutes(2)))
struct BackendTests {
    @Test("IOBackend.current is what SCHEDULER_CORE_BACKEND asks for")
    func backendMatchesEnvironment() throws {
        let requested = ProcessInfo.processInfo.environment["SCHEDULER_CORE_BACKEND"]
        switch requested {
        case "posix":
            #expect(IOBackend.current == .posix)
            #expect(IOBackend.features.hasPrefix("posix"))
        case "io_uring":
            #expect(IOBackend.current == .ioUring)
            #expect(IOBackend.features.contains("ops:"))
        default:
            // Unset: io_uring where the probe succeeded, else POSIX with the reason.
            #expect(IOBackend.features.hasPrefix("posix") == (IOBackend.current == .posix))
        }
        // Sockets work on the chosen backend.
        let (client, server, listener) = try makeConnectedPair()
        try client.send("backend \(IOBackend.current)")
        #expect(String(decoding: try server.recv(maxLength: 64), as: UTF8.self) == "backend \(IOBackend.current)")
        _ = listener
    }

    @Test(
        "an io_uring run makes its transfers through the ring: no plain send, recv, accept4 or connect (POSIX makes them)"
    )
    func transfersGoThroughTheSelectedBackend() throws {
        let tcpBefore = ctp_thread_plain_socket_calls()
        let (client, server, listener) = try makeConnectedPair()  // connect, accept
        _ = try client.send([1, 2, 3])
        #expect(try server.recv(maxLength: 16) == [1, 2, 3])
        let udp = try Socket.udpV4()
        try udp.bind(LoopbackAddresses.nextSocketAddress())
        _ = try udp.send([4], to: try #require(udp.localAddress))  // sendmsg
        #expect(try udp.recvFrom(maxLength: 16).data == [4])  // recvmsg
        let plain = ctp_thread_plain_socket_calls() - tcpBefore
        switch IOBackend.current {
        case .ioUring: #expect(plain == 0, "\(plain) plain socket calls on io_uring (\(IOBackend.features))")
        case .posix: #expect(plain == 6, "the probe saw \(plain) of connect, accept4, send, recv, sendmsg, recvmsg")
        }
        _ = listener
    }
}
