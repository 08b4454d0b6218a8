@_spi(SchedulerInternals) import SchedulerPool
import Synchronization

/// Counts the loops of a ``TCPEngine`` that have stopped and wakes `wait()` once all have.
final class LoopsStopped: Sendable {
    private struct State {
        var running: Int
        var waiters: [UnsafeContinuation<Void, Never>] = []
    }
    private let state: FutexMutex<State>

    init(count: Int) { state = FutexMutex(State(running: count)) }

    /// Only `started` loops came up: the others will never report.
    func abandon(started: Int) { state.withLock { $0.running = started } }

    /// One loop has stopped (its on_stopped).
    func loopStopped() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every loop has stopped.
    func wait() async {
        await withUnsafeContinuation { (waiter: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }
}
