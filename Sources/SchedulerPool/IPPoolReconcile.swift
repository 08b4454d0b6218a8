/// Releasing the addresses of owners that are gone.
extension IPPool {
    /// Releases every binding whose subinstance is not in `liveOwners`, and returns what it released.
    ///
    /// After a crash, the VMs, containers or processes that held addresses may be gone while
    /// their bindings remain: the leak users of other IP allocators suffer most. `liveOwners` is
    /// the set of subinstance names (`IPBinding.subinstance`) that still exist, as the caller's
    /// inventory knows them; every resource of any other subinstance loses its address. Each
    /// release is an ordinary `release(subinstance:resource:)` (journaled and synced for a
    /// durable pool, which first catches up with other processes); a binding another thread or
    /// process released meanwhile is skipped.
    @discardableResult
    public func reconcile(liveOwners: Set<String>) throws(IPPoolError) -> [IPBinding] {
        try reconcile { liveOwners.contains($0.subinstance) }
    }

    /// Releases every binding for which `isLive` returns false, and returns what it released.
    @discardableResult
    public func reconcile(isLive: (IPBinding) -> Bool) throws(IPPoolError) -> [IPBinding] {
        #if !hasFeature(Embedded)
            try synchronize()
        #endif
        var released: [IPBinding] = []
        for binding in allBindings() where !isLive(binding) {
            do {
                try release(subinstance: binding.subinstance, resource: binding.resource)
                released.append(binding)
            } catch {
                guard case .unknownOwner = error else { throw error }
            }
        }
        return released
    }
}
