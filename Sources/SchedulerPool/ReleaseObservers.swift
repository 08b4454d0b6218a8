/// Actions waiting for the release of particular allocations. They live in `PoolState`, so
/// that every way an allocation ends (release by address or by owner, a journal record of
/// another process, a reloaded snapshot) passes them; a release checks `isEmpty` and no more
/// when nobody observes anything.
struct ReleaseObservers {
    /// One registration: the allocation it watches and what to run when it ends.
    struct Entry {
        let id: UInt64
        let binding: IPBinding
        let action: @Sendable (IPBinding) -> Void
    }

    private var byAddress: [IPAddress: [Entry]] = [:]
    /// Entries whose allocation has ended, to be run once the pool's lock is released.
    private var fired: [Entry] = []
    private var nextID: UInt64 = 1

    /// True when no allocation is observed.
    var isEmpty: Bool { byAddress.isEmpty }

    /// Registers `action` for `binding`; returns its id.
    mutating func add(_ binding: IPBinding, _ action: @escaping @Sendable (IPBinding) -> Void) -> UInt64 {
        let id = nextID
        nextID += 1
        byAddress[binding.ip, default: []].append(Entry(id: id, binding: binding, action: action))
        return id
    }

    /// Forgets registration `id` on `ip`; false if it has already fired or was removed.
    mutating func remove(id: UInt64, ip: IPAddress) -> Bool {
        guard var entries = byAddress[ip], let position = entries.firstIndex(where: { $0.id == id }) else {
            return false
        }
        entries.remove(at: position)
        byAddress[ip] = entries.isEmpty ? nil : entries
        return true
    }

    /// Allocation `generation` of `ip` has ended: its observers fire.
    mutating func released(_ ip: IPAddress, generation: UInt64) {
        guard let entries = byAddress[ip] else { return }
        var kept: [Entry] = []
        for entry in entries {
            if entry.binding.generation == generation { fired.append(entry) } else { kept.append(entry) }
        }
        byAddress[ip] = kept.isEmpty ? nil : kept
    }

    /// Fires every observer whose allocation `isHeld` no longer finds (after a state was rebuilt).
    mutating func releaseEnded(isHeld: (IPAddress, UInt64) -> Bool) {
        for (ip, entries) in byAddress {
            for entry in entries where !isHeld(ip, entry.binding.generation) {
                released(ip, generation: entry.binding.generation)
            }
        }
    }

    /// The fired entries, handed over once.
    mutating func takeFired() -> [Entry] {
        if fired.isEmpty { return [] }
        defer { fired = [] }
        return fired
    }
}

/// A registration made with `IPBinding.onRelease(_:)`; `cancel()` withdraws it.
public struct ReleaseObservation: Sendable, Hashable {
    let pool: IPPool
    let id: UInt64
    let ip: IPAddress

    /// Withdraws the registration; its action will not run (a no-op once it has run).
    public func cancel() {
        pool.state.withLock { state in _ = state.releaseObservers.remove(id: id, ip: ip) }
    }

    /// Registrations are equal when they are the same registration with the same pool.
    public static func == (lhs: ReleaseObservation, rhs: ReleaseObservation) -> Bool {
        lhs.pool === rhs.pool && lhs.id == rhs.id
    }

    /// Hashes the registration's identity.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(pool))
        hasher.combine(id)
    }
}

extension IPBinding {
    /// Runs `action` once, on the releasing thread after the pool's lock is released, when the
    /// pool releases this allocation: by address, by owner, or (durable pools) when this
    /// process learns that another one released it. Runs it at once if the binding is already
    /// released. The action must not block; it may call the pool.
    @discardableResult
    public func onRelease(_ action: @escaping @Sendable (IPBinding) -> Void) -> ReleaseObservation {
        let (id, fired) = issuer.state.withLock { state -> (UInt64, [ReleaseObservers.Entry]) in
            let id = state.releaseObservers.add(self, action)
            if state.holding(of: ip)?.generation != generation {
                state.releaseObservers.released(ip, generation: generation)
            }
            return (id, state.releaseObservers.takeFired())
        }
        IPPool.run(fired)
        return ReleaseObservation(pool: issuer, id: id, ip: ip)
    }
}

extension IPPool {
    /// Runs fired release observers (outside the pool's lock).
    static func run(_ fired: [ReleaseObservers.Entry]) {
        for entry in fired { entry.action(entry.binding) }
    }

    /// Runs the release observers that state changes since the last call have fired.
    func runFiredReleaseObservers() {
        IPPool.run(state.withLock { $0.releaseObservers.takeFired() })
    }
}
