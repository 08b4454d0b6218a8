@_spi(SchedulerInternals) import SchedulerPool
import CSchedulerEngine
import SystemPackage

/// How a connection served by a ``TCPConnectionHandler`` gets its bytes: straight from the loop
/// callback to the handler, on the loop thread, with no task and no continuation per chunk.
///
/// Backpressure: once more than `sendHighWater` bytes are queued for sending, reading pauses
/// (`handlerPaused`); chunks the loop had already received wait in the receive queue and are handed
/// over, in order, once the queue has drained to half (`handlerDrained`).
extension ConnectionCore {
    /// Installs `handler` (on the loop thread) and hands it what arrived before it was there.
    func attach(_ handler: any TCPConnectionHandler) {
        precondition(cse_on_loop_thread(loop.handle) == 1, "a handler is attached on its loop thread")
        self.handler = handler
        // Chunks that came before; reading paused by the receive high-water mark goes on.
        let wasPaused = state.withLock { state in
            let paused = state.receive.paused
            state.receive.paused = false
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
                    state.receive.append(BufferHandle(pointer: pointer))
                    publishReceived(state)
                } else {
                    state.lifecycle.handle(length == 0 ? .peerEnded : .receiveFailed(Errno(rawValue: Int32(-length))))
                }
            }
            return true
        }
        guard length > 0, let pointer else {
            endHandler(length == 0 ? nil : error(.recv, cResult: length))
            _ = requestClose()
            return false
        }
        handler.received(TCPBuffer(BufferHandle(pointer: pointer), loop: loop))
        // Backpressure: the peer is not taking the replies, so stop taking its requests.
        if state.withLock({ $0.send.isFull }) {
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
                case done(ReceiveReadiness)
            }
            let next = state.withLock { state -> Next in
                if state.send.isFull { return .full }
                let readiness = state.receiveReadiness
                guard case .buffered = readiness else { return .done(readiness) }
                return .chunk(takeChunk(&state))
            }
            switch next {
            case .chunk(let handle):
                handler.received(TCPBuffer(handle, loop: loop))
            case .full:
                handlerPaused = true
                return
            case .done(.ended):
                endHandler(nil)
                _ = requestClose()
                return
            case .done(.failed(let code)):
                endHandler(error(.recv, errno: code))
                _ = requestClose()
                return
            case .done(.empty), .done(.busy), .done(.closedLocally), .done(.buffered):
                // Still open (a close the handler asked for ends it through `closedByLoop`).
                if resume { _ = cse_resume_reading(loop.handle, id) }
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
