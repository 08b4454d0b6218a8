import Foundation
import SchedulerPool
import Synchronization
import TestSupport
import Testing

@testable import SchedulerSocket

/// How many SIGUSR1 the test handler has seen.
let interruptsDelivered = Atomic<Int>(0)

/// EINTR is retried: a signal delivered to a thread blocked in a socket call (with a handler
/// installed without SA_RESTART) does not surface as an error.
@Suite("Interrupted calls", .timeLimit(.minutes(2)))
struct InterruptTests {
    @Test("a blocked recv survives signals (EINTR retried) and returns the data that arrives")
    func receiveSurvivesSignals() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptsDelivered.add(1, ordering: .relaxed) }
        action.sa_flags = 0  // no SA_RESTART: the kernel returns EINTR
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        sigaction(SIGUSR1, &action, &previous)
        defer { sigaction(SIGUSR1, &previous, nil) }

        let (client, server, listener) = try makeConnectedPair()
        let readerThread = Mutex<pthread_t?>(nil)
        let reader = Background { () throws -> [UInt8] in
            // The runner's threads may block SIGUSR1; this one must take it.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            readerThread.withLock { $0 = pthread_self() }
            return try server.recv(maxLength: 64)
        }
        let before = interruptsDelivered.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.05)
        for _ in 0..<5 {
            if let thread = readerThread.withLock({ $0 }) { pthread_kill(thread, SIGUSR1) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try client.send("after signals")
        #expect(try reader.value() == Array("after signals".utf8))
        #expect(interruptsDelivered.load(ordering: .relaxed) > before)
        _ = listener
    }
}
