@_spi(SchedulerInternals) import SchedulerPool
import SchedulerEngine
import Glibc
import Synchronization

/// The header and idle timeouts of a server's connections, enforced by one sweeping task.
///
/// A connection arms its slot with a deadline (an atomic store, no lock) and disarms it while a
/// handler runs; the sweeper closes connections whose deadline has passed. Registering and
/// removing a connection takes a lock once each, not per request.
final class ConnectionDeadlines: Sendable {
    /// One connection's deadline, in nanoseconds of `ConnectionDeadlines.now()`; 0 when disarmed.
    final class Slot: Sendable {
        let deadline = Atomic<Int64>(0)
        let connection: TCPConnection

        init(connection: TCPConnection) { self.connection = connection }

        /// Closes the connection if nothing happens before `timeout` from now.
        func arm(_ timeout: Duration) {
            arm(nanoseconds: timeout.nanoseconds)
        }

        /// Closes the connection if nothing happens within `nanoseconds` of `now`.
        func arm(nanoseconds: Int64, now: Int64 = ConnectionDeadlines.now()) {
            deadline.store(now + nanoseconds, ordering: .relaxed)
        }

        /// No deadline (a handler is running).
        func disarm() { deadline.store(0, ordering: .relaxed) }

        /// Since when the connection has waited for its next request (nanoseconds), 0 when it
        /// does not: the sweeper parks it after ``ConnectionDeadlines/parkAfter``.
        let idleSince = Atomic<Int64>(0)
        /// Parks the connection (set once by its driver; weak, so the slot keeps nothing alive).
        let park = FutexMutex<(@Sendable () -> Bool)?>(nil)

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
    private let parked = Atomic<Int>(0)

    /// Connections parked now.
    var parkedCount: Int { parked.load(ordering: .relaxed) }

    /// A parked connection's task started again.
    func unparked() { parked.subtract(1, ordering: .relaxed) }
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

    /// How long a connection waits for its next request before it is parked (nanoseconds;
    /// 0: never).
    let parkAfter: Int64

    init(tick: Duration, parkAfter: Duration? = nil) {
        self.tick = tick
        self.parkAfter = parkAfter?.nanoseconds ?? 0
    }

    /// A slot for `connection`, looked at by every sweep until ``remove(_:)``.
    func register(_ connection: TCPConnection) -> Slot { slots.insert(Slot(connection: connection)) }

    /// Stops looking at `slot`.
    func remove(_ slot: Slot) { slots.remove(slot) }

    /// Closes expired connections and parks idle ones every `tick` until the task is cancelled.
    func sweep() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            let now = ConnectionDeadlines.now()
            var parked = 0
            for slot in slots.snapshot() {
                let deadline = slot.deadline.load(ordering: .relaxed)
                if deadline != 0, deadline <= now {
                    slot.disarm()
                    slot.connection.closeNow()
                    continue
                }
                let idle = slot.idleSince.load(ordering: .relaxed)
                guard parkAfter != 0, idle != 0, now - idle >= parkAfter else { continue }
                // Parked once per idle period (the driver sets the time again when it next waits);
                // tried again next tick while its task is not in the parkable wait yet.
                if let park = slot.park.withLock({ $0 }), park() {
                    slot.idleSince.store(0, ordering: .relaxed)
                    self.parked.add(1, ordering: .relaxed)
                    parked += 1
                }
            }
            // The parked tasks' memory went back to the loop threads' malloc arenas: hand whole
            // free pages back to the system (glibc keeps them otherwise).
            // Off the loop thread the sweeper runs on: trimming may take milliseconds.
            if parked >= 64 { Task.detached { TCPConnection.releaseFreedMemory() } }
        }
    }

    /// The monotonic clock at its coarse resolution (a clock tick, a few ms at most): deadlines
    /// are seconds long and both arming and sweeping read this same clock, and the coarse read is
    /// a load from the vDSO page where the precise one reads the TSC (several per request).
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
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
