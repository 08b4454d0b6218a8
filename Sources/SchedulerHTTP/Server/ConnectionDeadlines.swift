import SchedulerPool
import SchedulerEngine
import Glibc
import Synchronization

/// The header and idle timeouts of a server's connections, enforced by one sweeping task.
///
/// A connection arms its slot with a deadline (an atomic store, no lock) and disarms it while a
/// handler runs; the sweeper closes connections whose deadline has passed. Registering and
/// removing a connection takes a lock once each, not per request.
final class ConnectionDeadlines: Sendable {
    /// One connection's deadline, in nanoseconds of the continuous clock; 0 when disarmed.
    final class Slot: Sendable {
        let deadline = Atomic<Int64>(0)
        let connection: TCPConnection

        init(connection: TCPConnection) { self.connection = connection }

        /// Closes the connection if nothing happens before `timeout` from now.
        func arm(_ timeout: Duration) {
            deadline.store(ConnectionDeadlines.now() + timeout.nanoseconds, ordering: .relaxed)
        }

        /// No deadline (a handler is running).
        func disarm() { deadline.store(0, ordering: .relaxed) }

        /// What a connection taken over by another protocol (a WebSocket) does when the server
        /// starts draining: say goodbye in its own protocol, then close.
        let onDrain = FutexMutex<(@Sendable () -> Void)?>(nil)
    }

    /// Calls `handler` when the server drains (at once if it already does).
    func whenDraining(_ slot: Slot, _ handler: @escaping @Sendable () -> Void) {
        slot.onDrain.withLock { $0 = handler }
        if isDraining, let handler = slot.onDrain.withLock({ $0.take() }) { handler() }
    }

    private let slots = SlotRegistry<Slot>()
    private let draining = Atomic<Bool>(false)

    /// Set by a shutdown: connections finish their current request, then close.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Starts draining: closes every connection waiting for a request (armed), lets the others
    /// finish the request in hand; returns when all have closed or `grace` has passed.
    func drain(grace: Duration) async {
        draining.store(true, ordering: .relaxed)
        let goodbyes = slots.snapshot().compactMap { slot in slot.onDrain.withLock { $0.take() } }
        for goodbye in goodbyes { goodbye() }
        let end = ContinuousClock.now + grace
        while ContinuousClock.now < end {
            let all = slots.snapshot()
            if all.isEmpty { return }
            for slot in all where slot.deadline.load(ordering: .relaxed) != 0 { slot.connection.closeNow() }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
    /// How often the sweeper looks.
    let tick: Duration

    init(tick: Duration) { self.tick = tick }

    /// A slot for `connection`, looked at by every sweep until ``remove(_:)``.
    func register(_ connection: TCPConnection) -> Slot { slots.insert(Slot(connection: connection)) }

    /// Stops looking at `slot`.
    func remove(_ slot: Slot) { slots.remove(slot) }

    /// Closes expired connections every `tick` until the task is cancelled.
    func sweep() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            let now = ConnectionDeadlines.now()
            for slot in slots.snapshot() {
                let deadline = slot.deadline.load(ordering: .relaxed)
                guard deadline != 0, deadline <= now else { continue }
                slot.disarm()
                slot.connection.closeNow()
            }
        }
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
