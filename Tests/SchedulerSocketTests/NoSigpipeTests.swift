import CTestProbes
import Foundation
import SchedulerPool
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerSocket

/// The README's promise "never raises SIGPIPE", checked on the selected backend: the peer
/// closes, we keep sending until the kernel answers EPIPE, and no SIGPIPE reached the process.
/// A counting handler replaces the runner's disposition for the test (the runner may ignore
/// SIGPIPE, which would hide a send without MSG_NOSIGNAL; with SIG_DFL the runner would die).
@Suite("No SIGPIPE", .serialized, .timeLimit(.minutes(1)))
struct NoSigpipeTests {
    @Test("sending to a closed peer throws EPIPE (after at most one ECONNRESET), and raises no SIGPIPE")
    func sendAfterPeerClosed() throws {
        let (client, server, listener) = try makeConnectedPair()
        try client.close()  // orderly close: our sends are answered with a reset
        #expect(ctp_sigpipe_count_begin() == 0)
        var errors: [SocketError] = []
        var sends = 0
        // The first send succeeds (the peer's kernel answers it with RST); ECONNRESET reports
        // the reset once; every send after it is EPIPE, which is where SIGPIPE would come from.
        while errors.count < 3 && sends < 200 {
            sends += 1
            do throws(SocketError) { _ = try server.send([0x42]) } catch { errors.append(error) }
            if errors.isEmpty { usleep(2_000) }
        }
        let signals = ctp_sigpipe_count_end()
        #expect(signals == 0, "SIGPIPE delivered \(signals) times")
        #expect(errors.count == 3, "after \(sends) sends: \(errors)")
        let remote = server.remoteAddress
        let pipe = SocketError.system(operation: .send, address: remote, errno: .brokenPipe)
        let reset = SocketError.system(operation: .send, address: remote, errno: .connectionReset)
        #expect(errors.last == pipe)
        #expect(errors.allSatisfy { $0 == pipe || $0 == reset }, "\(errors)")
        #expect(errors.last?.description.hasSuffix("Broken pipe (EPIPE, errno 32)") == true, "\(errors)")
        #expect(server.state == .connected)  // a failed send does not close the socket
        _ = listener
    }
}
