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
    /// held back, one at a time while the queue stays under the high-water mark, then resumes
    /// reading unless it filled up again.
    func handlerDrained(resume: Bool = true) {
        guard let handler else { return }
        handlerPaused = false
        while true {
            enum Next {
                case chunk(BufferHandle)
                case full
                case done(readEnd: Int32, closed: Bool)
            }
            let next = state.withLock { state -> Next in
                if state.queuedBytes > Self.sendHighWater { return .full }
                guard state.receivedHead < state.received.count else {
                    return .done(readEnd: state.readEnd, closed: state.closed)
                }
                let handle = takeBufferedChunk(&state)
                return .chunk(handle)
            }
            switch next {
            case .chunk(let handle):
                handler.received(TCPBuffer(handle, loop: loop))
            case .full:
                handlerPaused = true
                return
            case .done(let readEnd, let closed):
                if readEnd != 0 || closed {
                    endHandler(readEnd > 0 ? error("recv", errno: readEnd) : nil)
                    _ = requestClose()
                } else if resume {
                    _ = cse_resume_reading(loop.handle, id)
                }
                return
            }
        }
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
