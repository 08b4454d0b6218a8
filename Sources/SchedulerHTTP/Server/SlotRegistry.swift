@_spi(SchedulerInternals) import SchedulerPool

/// The deadline slots a sweeper looks at (the server's ``ConnectionDeadlines`` and the client's
/// ``ClientTimeouts``): a slot is added and removed under a lock once per connection, and a
/// sweep takes a snapshot, so arming and disarming never take the lock.
final class SlotRegistry<Slot: AnyObject & Sendable>: Sendable {
    private let slots = FutexMutex<[ObjectIdentifier: Slot]>([:])

    /// Adds `slot`; returns it.
    func insert(_ slot: Slot) -> Slot {
        slots.withLock { $0[ObjectIdentifier(slot)] = slot }
        return slot
    }

    /// Removes `slot`.
    func remove(_ slot: Slot) {
        _ = slots.withLock { $0.removeValue(forKey: ObjectIdentifier(slot)) }
    }

    /// Every slot now.
    func snapshot() -> [Slot] {
        slots.withLock { Array($0.values) }
    }
}
