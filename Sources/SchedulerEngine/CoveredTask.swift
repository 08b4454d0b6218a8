import Synchronization

/// The task a `serve` handler runs in (its bit pattern), or 0.
///
/// Its cancellation is watched once for the whole handler, so the receives it makes skip
/// installing a cancellation handler each (two status-record updates per message).
struct CoveredTask: ~Copyable {
    private let bits = Atomic<UInt>(0)

    /// Records the calling task as the covered one.
    func setCurrent() {
        bits.store(withUnsafeCurrentTask { task in task.map(Self.bits) ?? 0 }, ordering: .relaxed)
    }

    /// Forgets the covered task (before it ends: a later task at the same address is never
    /// mistaken for it).
    func clear() {
        bits.store(0, ordering: .relaxed)
    }

    /// Whether the calling task is the covered one.
    func isCurrent() -> Bool {
        let covered = bits.load(ordering: .relaxed)
        if covered == 0 { return false }
        return withUnsafeCurrentTask { task in task.map(Self.bits) == covered }
    }

    private static func bits(_ task: UnsafeCurrentTask) -> UInt { unsafeBitCast(task, to: UInt.self) }
}
