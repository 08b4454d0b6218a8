import CTestProbes
import Glibc
import SchedulerSocket
import Synchronization
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerEngine

extension EngineTests {
    /// The README's promise "never raises SIGPIPE" for the engine's sends (epoll's sendmsg,
    /// io_uring's send/sendmsg), on the backend `SCHEDULER_CORE_BACKEND` selects. A counting
    /// SIGPIPE handler replaces the runner's disposition during the test: an ignored SIGPIPE
    /// would hide a send without MSG_NOSIGNAL, a default one would kill the runner.
    @Suite("No SIGPIPE from the engine on the selected backend", .timeLimit(.minutes(1)))
    struct EngineNoSigpipeTests {
        @Test("a handler sending to a peer that closed gets EPIPE or ECONNRESET, typed, and no SIGPIPE")
        func sendAfterPeerClosed() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let peerClosed = Atomic<Bool>(false)
            let outcome = Mutex<(sends: Int, error: EngineError?)>((0, nil))
            #expect(ctp_sigpipe_count_begin() == 0)
            let task = serving(server) { connection in
                while !peerClosed.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
                // The first sends succeed (the peer's kernel answers them with RST); then the
                // kernel says ECONNRESET once, EPIPE ever after. Keep sending until the engine
                // reports the failure.
                for sends in 1...400 {
                    do {
                        try await connection.send([UInt8](repeating: 0x42, count: 512))
                    } catch let error as EngineError {
                        outcome.withLock { $0 = (sends, error) }
                        return
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                outcome.withLock { $0.sends = 400 }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            close(fd)
            peerClosed.store(true, ordering: .releasing)
            for _ in 0..<2000 where outcome.withLock({ $0.sends }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            await server.shutdown()
            await task.value
            let signals = ctp_sigpipe_count_end()
            #expect(signals == 0, "SIGPIPE delivered \(signals) times")
            let (sends, error) = outcome.withLock { $0 }
            let failure = try #require(error, "no error after \(sends) sends to a closed peer")
            #expect(failure.operation == .send)
            #expect(failure.errno == .brokenPipe || failure.errno == .connectionReset, "\(failure)")
            #expect(
                failure.description.hasSuffix("(EPIPE, errno 32)")
                    || failure.description.hasSuffix("(ECONNRESET, errno 104)"), "\(failure)")
        }
    }
}
