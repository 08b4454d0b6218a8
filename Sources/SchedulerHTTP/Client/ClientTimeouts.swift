import SchedulerEngine
import Synchronization

/// The read and total timeouts of a client's connections, enforced by the client's sweeping
/// task rather than by a timer (and two child tasks) per read and write.
///
/// An operation arms its connection's slot with a deadline (an atomic store, no lock) and
/// disarms it when it returns; the sweeper closes a connection whose armed deadline has passed
/// and records which timeout that was, so the woken operation reports it. Registering and
/// removing a connection take a lock once each, not per operation.
final class ClientTimeouts: Sendable {
    /// One connection's deadline.
    final class Slot: Sendable {
        /// Nanoseconds of the monotonic clock; 0 when disarmed.
        let deadline = Atomic<Int64>(0)
        /// The timeout the armed deadline stands for (an index into `kinds`).
        let kind = Atomic<Int>(0)
        /// The timeout that fired while armed (an index into `kinds`), or -1.
        let fired = Atomic<Int>(-1)
        let tcp: TCPConnection

        init(tcp: TCPConnection) { self.tcp = tcp }

        /// Closes the connection unless ``disarm()`` comes within `limit`.
        func arm(_ limit: Duration, _ timeout: HTTPClientTimeout) {
            kind.store(ClientTimeouts.kinds.firstIndex(of: timeout)!, ordering: .relaxed)
            deadline.store(ConnectionDeadlines.now() + limit.nanoseconds, ordering: .releasing)
        }

        /// Ends the bound; the timeout that fired meanwhile (the connection is closing), if any.
        func disarm() -> HTTPClientTimeout? {
            deadline.store(0, ordering: .relaxed)
            let index = fired.exchange(-1, ordering: .acquiring)
            return index >= 0 ? ClientTimeouts.kinds[index] : nil
        }

        /// Fires if the armed deadline is at or before `now`: records the kind and closes.
        fileprivate func expire(now: Int64) {
            let armed = deadline.load(ordering: .acquiring)
            guard armed != 0, armed <= now else { return }
            // Only the sweeper that takes the deadline fires; a disarm in between wins.
            guard deadline.compareExchange(expected: armed, desired: 0, ordering: .acquiringAndReleasing).exchanged
            else { return }
            fired.store(kind.load(ordering: .relaxed), ordering: .releasing)
            tcp.closeNow()
        }
    }

    fileprivate static let kinds: [HTTPClientTimeout] = [.connect, .read, .total]
    private let slots = SlotRegistry<Slot>()

    /// A slot for `tcp`, looked at by every sweep until ``remove(_:)``.
    func register(_ tcp: TCPConnection) -> Slot { slots.insert(Slot(tcp: tcp)) }

    /// Stops looking at `slot`.
    func remove(_ slot: Slot) { slots.remove(slot) }

    /// Closes every connection whose armed deadline has passed.
    func sweep() {
        let now = ConnectionDeadlines.now()
        for slot in slots.snapshot() { slot.expire(now: now) }
    }
}
