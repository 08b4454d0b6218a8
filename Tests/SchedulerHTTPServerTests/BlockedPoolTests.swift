import Foundation
import SchedulerHTTP
import SchedulerPool
import Synchronization
import Testing

/// The server's own work (accepting, each connection's task, the deadlines' sweeper) runs on its
/// loop threads: it goes on while every thread of the global pool is blocked by synchronous code.
@Suite(.timeLimit(.minutes(1))) struct BlockedPoolTests {
    final class Flag: Sendable { let value = Atomic<Bool>(false) }

    @Test func aNewConnectionIsServedAndASilentOneCutWhileThePoolIsBlocked() async throws {
        var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
        configuration.headerTimeout = .milliseconds(300)
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
            responder: HTTPClosureResponder { _ in .text("served") })
        let running = await startRunning(server)
        let port = server.address.port
        // More blocked tasks than the pool has threads; the probe runs only once they are let go.
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 2
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<blockers { Task.detached { release.wait() } }
        let probe = Flag()
        Task.detached { probe.value.store(true, ordering: .relaxed) }
        // A thread outside the pool talks to the server while the pool is blocked, then lets it go.
        let outcome: (text: String, cut: Bool, probeRan: Bool) = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.1)
                var text = "not answered"
                var cut = false
                do {
                    let silent = try RawClient(port: port, timeout: 3)
                    let client = try RawClient(port: port, timeout: 3)
                    try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                    text = try client.readResponse().text
                    cut = silent.readsEndOfStream()
                } catch { text = "\(error)" }
                let probeRan = probe.value.load(ordering: .relaxed)
                for _ in 0..<blockers { release.signal() }
                continuation.resume(returning: (text, cut, probeRan))
            }
        }
        #expect(!outcome.probeRan, "the pool was not blocked: the test proves nothing")
        #expect(outcome.text == "served")
        #expect(outcome.cut, "the silent connection was not closed after the header timeout")
        await server.shutdown()
        await running.value
    }
}
