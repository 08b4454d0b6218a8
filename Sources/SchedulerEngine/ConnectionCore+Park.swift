@_spi(SchedulerInternals) import SchedulerPool
import Synchronization

/// Parking: a connection waiting for its next message gives up its task, and a callback starts
/// another when bytes arrive (an idle keep-alive connection then holds no task memory).
extension ConnectionCore {
    /// Puts `onReadable` in the place of a parkable waiting receive, whose task then gets
    /// ``ConnectionParked``; false (nothing changed) when no parkable receive is waiting.
    func park(onReadable: @escaping @Sendable () -> Void) -> Bool {
        let waiter = state.withLock { state -> ReceiveWaiter? in
            // A waiter is only there while nothing is held: no byte is left behind.
            guard let waiter = state.receiveWaiter, waiter.parkable else { return nil }
            state.receiveWaiter = ReceiveWaiter(kind: .readable(onReadable), covered: false)
            return waiter
        }
        guard let waiter else { return false }
        parked.store(true, ordering: .releasing)
        waiter.resume(throwing: ConnectionParked())
        return true
    }

    /// Installs `onReadable` as the receive waiter when nothing can be received yet and no one
    /// waits; false (nothing changed) when bytes, the end or a failure are already there (or
    /// another receive waits). Marks the connection parked, as ``park(onReadable:)`` does.
    func whenReadable(_ onReadable: @escaping @Sendable () -> Void) -> Bool {
        let installed = state.withLock { state -> Bool in
            guard case .wait = receiveStep(state) else { return false }
            state.receiveWaiter = ReceiveWaiter(kind: .readable(onReadable), covered: false)
            return true
        }
        if installed { parked.store(true, ordering: .releasing) }
        return installed
    }

    /// Whether the connection was ever parked: its `serve` handler no longer owns it, so the
    /// engine leaves closing it to whoever the callback started.
    var wasParked: Bool { parked.load(ordering: .acquiring) }
}
