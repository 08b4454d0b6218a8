import Foundation
import SchedulerPool
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerSocket

/// A peer that resets the connection mid-transfer (SO_LINGER 0 then close): typed errors, no
/// SIGPIPE (the process would die without MSG_NOSIGNAL).
@Suite("Peer reset", .timeLimit(.minutes(2)))
struct PeerResetTests {
    @Test("the sender gets ECONNRESET or EPIPE, typed, when the receiver resets mid-transfer")
    func senderSeesReset() throws {
        let (client, server, listener) = try makeConnectedPair()
        let chunk = [UInt8](repeating: 0xAB, count: 256 << 10)
        let sender = Background { () throws -> SocketError? in
            while true {
                do throws(SocketError) { try server.send(chunk) } catch { return error }
            }
        }
        _ = try client.recv(maxLength: 4096)  // the transfer is under way
        try client.setResetOnClose(true)
        try client.close()
        let error = try sender.value()
        #expect(error?.operation == .send)
        #expect(error?.errno == .connectionReset || error?.errno == .brokenPipe)
        if case .system(_, let address, _) = error { #expect(address == server.remoteAddress) }
        #expect(
            error?.description.contains("(ECONNRESET, errno 104)") == true
                || error?.description.contains("(EPIPE, errno 32)") == true)
        _ = listener
    }

    @Test("the receiver gets ECONNRESET, not an end of stream, when the sender resets")
    func receiverSeesReset() throws {
        let (client, server, listener) = try makeConnectedPair()
        try client.send([UInt8](repeating: 1, count: 1000))
        try client.setResetOnClose(true)
        try client.close()
        var received = 0
        var failure: SocketError?
        while failure == nil {
            do {
                let bytes = try server.recv(maxLength: 4096)
                if bytes.isEmpty { break }
                received += bytes.count
            } catch { failure = error }
        }
        #expect(failure == .system(operation: .recv, address: server.remoteAddress, errno: .connectionReset))
        #expect(received <= 1000)
        // An orderly close, by contrast, is [] (end of stream).
        let (c2, s2, l2) = try makeConnectedPair()
        try c2.close()
        #expect(try s2.recv(maxLength: 16) == [])
        _ = (listener, l2)
    }
}
