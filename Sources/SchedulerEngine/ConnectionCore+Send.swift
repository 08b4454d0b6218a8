@_spi(SchedulerInternals) import SchedulerPool
import CSchedulerEngine

/// Sending: bytes handed to the loop under the lock, counted in ``SendAccounting``.
extension ConnectionCore {
    /// Whether a send may be queued now (inlined: checked under the lock for every send).
    @inline(__always)
    private func acceptsSends(_ state: borrowing State) -> Bool {
        state.lifecycle.acceptsSends && state.send.failure == nil
    }

    /// Why a send cannot be queued now; only called when ``acceptsSends(_:)`` said no.
    private func sendRefusal(_ state: borrowing State) -> EngineError {
        if state.lifecycle.acceptsSends, let code = state.send.failure { return error(.send, errno: code) }
        return error(.send, reason: "the connection is closed")
    }

    /// Hands `buffer` to the loop without copying it (ownership passes in every case); returns
    /// true when the caller must wait for room.
    @usableFromInline
    func enqueue(buffer: UnsafeMutablePointer<cse_buffer>) throws(EngineError) -> Bool {
        let length = buffer.pointee.length
        return try state.withLock { state throws(EngineError) -> Bool in
            if !acceptsSends(state) {
                cse_buffer_release(loop.handle, buffer)
                throw sendRefusal(state)
            }
            // Queued under the lock so that a concurrent close is ordered after it.
            let rc = cse_send_buffer(loop.handle, id, buffer)
            if rc < 0 { throw error(.send, cResult: Int(rc)) }
            return state.send.queued(length)
        }
    }

    /// Hands a copy of `bytes` to the loop; returns true when the caller must wait for room.
    func enqueue(_ bytes: UnsafeRawBufferPointer) throws(EngineError) -> Bool {
        if bytes.isEmpty { return false }
        return try state.withLock { state throws(EngineError) -> Bool in
            if !acceptsSends(state) { throw sendRefusal(state) }
            // Queued under the lock so that a concurrent close is ordered after it.
            let rc = cse_send(loop.handle, id, bytes.baseAddress, bytes.count)
            if rc < 0 { throw error(.send, cResult: Int(rc)) }
            return state.send.queued(bytes.count)
        }
    }

    /// One queued send finished with `result` bytes, or failed with -errno (loop thread).
    func sent(_ result: Int) {
        // The common case, bytes sent and nobody waiting for room, touches only the count.
        if result >= 0 {
            let (mustWake, drained) = state.withLock { state -> (Bool, Bool) in
                state.send.sent(result)
                let drained = state.send.isDrained
                return (state.send.hasWaiters && drained, drained)
            }
            // A handler's reading paused for a send backlog goes on once half of it is out.
            if handlerPaused && drained { handlerDrained() }
            if !mustWake { return }
        }
        var waiters: [UnsafeContinuation<Void, any Error>] = []
        var failure: EngineError?
        state.withLock { state in
            if result < 0 {
                let failed = error(.send, cResult: result)
                state.send.failed(failed.errno!)
                failure = failed
            }
            if state.send.isDrained { waiters = state.send.takeWaiters() }
        }
        for waiter in waiters {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
        }
    }

    /// Waits until the queue has drained to half the high-water mark (or the connection closed);
    /// cancellation ends the wait with `CancellationError` and leaves the bytes queued.
    @usableFromInline
    nonisolated(nonsending) func waitForRoom() async throws {
        let id = state.withLock { state in state.send.makeWaiterID() }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation {
                (continuation: UnsafeContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.lifecycle.isClosed || state.send.isDrained { return .success(()) }
                    state.send.addWaiter(id: id, continuation)
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in state.send.removeWaiter(id: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
