import CSchedulerEngine

/// How a connection served by a ``TCPConnectionHandler`` gets its bytes: straight from the loop
/// callback into `received`, on the loop thread, with no task and no continuation per chunk.
///
/// Backpressure: once more than `sendHighWater` bytes are queued for sending, reading pauses
/// (`handlerPaused`); chunks the loop had already received wait in `received` and are handed
/// over, in order, once the queue has drained to half (`handlerDrained`).
extension ConnectionCore {
    /// Installs `handler` (on the loop thread) and hands it what arrived before it was there.
    func attach(_ handler: any TCPConnectionHandler) {
        precondition(cse_on_loop_thread(loop.handle) == 1, "a handler is attached on its loop thread")
        self.handler = handler
        // Chunks that came before; reading paused by the receive high-water mark goes on.
        let wasPaused = state.withLock { state in
            let paused = state.paused
            state.paused = false
            return paused
        }
        handlerPaused = true
        handlerDrained(resume: wasPaused)
    }

    /// The handler path of `deliver`: returns true to pause reading while too much is queued.
    func deliver(to handler: any TCPConnectionHandler, _ pointer: UnsafeMutablePointer<cse_buffer>?, _ length: Int)
        -> Bool
    {
        if handlerPaused {
            // Held back until the send queue drains, with the end of stream behind them.
            state.withLock { state in
                if let pointer, length > 0 {
                    state.received.append(BufferHandle(pointer: pointer))
                    state.receivedBytes += pointer.pointee.length
                    state.receivedFootprint += Int(pointer.pointee.capacity)
                } else {
                    state.readEnd = length == 0 ? -1 : Int32(-length)
                }
            }
            return true
        }
        guard length > 0, let pointer else {
            endHandler(length == 0 ? nil : error("recv", errno: Int32(-length)))
            _ = requestClose()
            return false
        }
        handler.received(TCPBuffer(BufferHandle(pointer: pointer), loop: loop))
        // Backpressure: the peer is not taking the replies, so stop taking its requests.
        if state.withLock({ $0.queuedBytes > Self.sendHighWater }) {
            handlerPaused = true
            return true
        }
        return false
    }

    /// The send queue has drained (or the handler was just attached): hands over the chunks
    /// held back, then resumes reading unless they filled the queue again.
    func handlerDrained(resume: Bool = true) {
        guard let handler else { return }
        handlerPaused = false
        let (held, readEnd) = state.withLock { state in
            let held = Array(state.received[state.receivedHead...])
            state.received.removeAll(keepingCapacity: true)
            state.receivedHead = 0
            state.receivedBytes = 0
            state.receivedFootprint = 0
            receivedHint.store(0, ordering: .relaxed)
            return (held, state.readEnd)
        }
        for handle in held { handler.received(TCPBuffer(handle, loop: loop)) }
        if readEnd != 0 || state.withLock({ $0.closed }) {
            endHandler(readEnd > 0 ? error("recv", errno: readEnd) : nil)
            _ = requestClose()
            return
        }
        if state.withLock({ $0.queuedBytes > Self.sendHighWater }) {
            handlerPaused = true
            return
        }
        if resume { _ = cse_resume_reading(loop.handle, id) }
    }

    /// Tells the handler, once, that no more bytes come; then lets go of it (it usually holds
    /// the connection, and so this core).
    func endHandler(_ error: EngineError?) {
        guard let handler, !handlerEnded else { return }
        handlerEnded = true
        handler.receiveEnded(error)
        self.handler = nil
    }
}
