@_spi(SchedulerInternals) import SchedulerPool
import CSchedulerEngine

/// Closing: asked for by the user, done by the loop.
extension ConnectionCore {
    /// Asks the loop to close after the queued bytes are sent; returns false if already asked.
    func requestClose() -> Bool {
        state.withLock { state -> Bool in
            switch state.lifecycle {
            case .closing, .closed: return false
            case .open: break
            }
            state.lifecycle.handle(.closeRequested)
            _ = cse_close(loop.handle, id)
            return true
        }
    }

    /// Waits until the loop has closed the descriptor.
    nonisolated(nonsending) func waitClosed() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.lifecycle.isClosed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The loop closed the descriptor; wakes everyone still waiting.
    func closedByLoop() {
        if handler != nil { endHandler(nil) }
        let (receiveWaiter, sendWaiters, closeWaiters) = state.withLock { state in
            state.lifecycle.handle(.closedByLoop)
            let taken = (state.receiveWaiter, state.send.takeWaiters(), state.closeWaiters)
            state.receiveWaiter = nil
            state.closeWaiters = []
            return taken
        }
        receiveWaiter?.resumeEnded()
        let failure = error(.send, reason: "the connection was closed before the bytes were sent")
        for waiter in sendWaiters { waiter.resume(throwing: failure) }
        for waiter in closeWaiters { waiter.resume() }
    }
}
