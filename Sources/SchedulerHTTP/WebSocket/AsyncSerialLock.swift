@_spi(SchedulerInternals) import SchedulerPool
import Synchronization

/// A lock held across suspension points, granted in arrival order: frames of one message and
/// compressed messages must reach the connection in the order they were encoded.
final class AsyncSerialLock: Sendable {
    private let state = FutexMutex<(locked: Bool, waiters: [UnsafeContinuation<Void, Never>])>((false, []))

    func lock() async {
        if state.withLock({ state in
            if state.locked { return false }
            state.locked = true
            return true
        }) {
            return
        }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if !state.locked {
                    state.locked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
