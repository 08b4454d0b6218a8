#if canImport(Synchronization)
    import Synchronization
#endif

/// A named set of CIDR ranges from which addresses are handed to owners, each owner being a
/// (subinstance, resource) pair; safe to share between threads.
///
/// Ranges of both families may be mixed; a range that overlaps one already present is refused.
/// IPv4 network and broadcast addresses are never handed out for prefixes shorter than /31;
/// a /31 hands out both its addresses (RFC 3021) and a /32 its one address. IPv6 ranges
/// shorter than /127 keep their subnet-router anycast address (all host bits zero) back.
public final class IPPool: Sendable {
    /// The pool's name, copied into every binding it issues.
    public let name: String
    let state = FutexMutex(PoolState())
    #if !hasFeature(Embedded)
        /// The journal of a durable pool (`init(name:storageDirectory:)`, Durable/); `nil` in memory.
        let storage: PoolStorage?
    #endif

    /// An empty in-memory pool.
    public init(name: String) {
        self.name = name
        #if !hasFeature(Embedded)
            storage = nil
        #endif
    }

    #if !hasFeature(Embedded)
        /// A durable pool on `storage`, still empty (`init(name:storageDirectory:)` loads it).
        init(name: String, storage: PoolStorage) {
            self.name = name
            self.storage = storage
        }
    #endif

    /// Adds a CIDR range such as `"192.168.1.0/24"`; throws `.malformedRange` saying what is
    /// wrong with bad text (host bits set included) and `.overlappingRange` when it shares
    /// addresses with a different range of the pool. Adding a range the pool already has is a
    /// no-op, so a service may add its ranges at every start, also to a reopened durable pool.
    public func addCIDRRange(_ cidr: String) throws(IPPoolError) {
        let network: IPNetwork
        do {
            network = try IPNetwork(parsing: cidr)
        } catch {
            throw IPPoolError.malformedRange(error)
        }
        try addRange(network)
    }

    /// Adds a parsed range; a no-op when the pool already has exactly this range; throws
    /// `.overlappingRange` when it shares addresses with a different range of the pool.
    public func addRange(_ network: IPNetwork) throws(IPPoolError) {
        #if !hasFeature(Embedded)
            if let storage { return try durableAddRange(network, storage) }
        #endif
        try state.withLock { (state) throws(IPPoolError) in
            if let existing = state.ranges.first(where: { $0.network.overlaps(network) }) {
                if existing.network == network { return }
                throw IPPoolError.overlappingRange(network, existing: existing.network)
            }
            state.ranges.append(try PoolRange(network: network))
        }
    }

    /// The ranges of the pool, in the order they were added.
    public var ranges: [IPNetwork] {
        state.withLock { state in state.ranges.map { $0.network } }
    }

    /// Allocates a free address to the owner, or returns the one it already holds (allocation is
    /// idempotent per subinstance and resource; `type` of an existing binding is kept).
    /// Throws `.exhausted` when every range is full.
    public func allocate(subinstance: String, resource: String, type: ResourceType) throws(IPPoolError) -> IPAddress {
        #if !hasFeature(Embedded)
            if let storage {
                return try durableAllocate(subinstance: subinstance, resource: resource, type: type, storage)
            }
        #endif
        return try allocateInMemory(subinstance: subinstance, resource: resource, type: type)
    }

    /// `allocate(subinstance:resource:type:)` on the state in memory (a durable pool journals around it).
    @inline(__always)
    func allocateInMemory(subinstance: String, resource: String, type: ResourceType) throws(IPPoolError) -> IPAddress {
        try state.withLock { (state) throws(IPPoolError) -> IPAddress in
            guard let ip = try state.allocate(subinstance: subinstance, resource: resource, type: type) else {
                throw IPPoolError.exhausted(pool: name)
            }
            return ip
        }
    }

    /// Allocates the given address to the owner; returns it unchanged if the owner already holds it.
    /// Throws `.addressOutsideRanges`, `.reservedAddress`, `.addressHeldByAnotherOwner`, or
    /// `.ownerHoldsAnotherAddress` (release the old address first).
    @discardableResult
    public func allocate(_ ip: IPAddress, subinstance: String, resource: String, type: ResourceType)
        throws(IPPoolError) -> IPAddress
    {
        #if !hasFeature(Embedded)
            if let storage {
                return try durableAllocate(ip, subinstance: subinstance, resource: resource, type: type, storage)
            }
        #endif
        return try allocateInMemory(ip, subinstance: subinstance, resource: resource, type: type)
    }

    /// `allocate(_:subinstance:resource:type:)` on the state in memory (a durable pool journals around it).
    @discardableResult
    func allocateInMemory(_ ip: IPAddress, subinstance: String, resource: String, type: ResourceType)
        throws(IPPoolError) -> IPAddress
    {
        try state.withLock { (state) throws(IPPoolError) -> IPAddress in
            guard let index = state.rangeIndex(containing: ip) else {
                throw IPPoolError.addressOutsideRanges(ip, pool: name)
            }
            if let holding = state.holding(of: ip) {
                if holding.subinstance == subinstance && holding.resource == resource { return ip }
                throw IPPoolError.addressHeldByAnotherOwner(
                    ip, subinstance: holding.subinstance, resource: holding.resource)
            }
            let offset = state.ranges[index].offset(of: ip)
            if state.ranges[index].reserved.contains(offset) {
                throw IPPoolError.reservedAddress(ip, range: state.ranges[index].network)
            }
            if let held = state.holding(subinstance: subinstance, resource: resource) {
                throw IPPoolError.ownerHoldsAnotherAddress(subinstance: subinstance, resource: resource, held: held.ip)
            }
            guard try state.claim(index, offset: offset, subinstance: subinstance, resource: resource, type: type)
            else {
                preconditionFailure("allocator and holders disagree about " + ip.description)
            }
            return ip
        }
    }

    /// The binding of an allocated address, or `nil` if the address is free or not in the pool.
    public func binding(for ip: IPAddress) -> IPBinding? {
        state.withLock { state in
            state.holding(of: ip).map(makeBinding)
        }
    }

    /// The binding the owner holds, or `nil`.
    public func binding(subinstance: String, resource: String) -> IPBinding? {
        state.withLock { state in
            state.holding(subinstance: subinstance, resource: resource).map(makeBinding)
        }
    }

    /// Every binding of a subinstance, ordered by address (a scan of all bindings: an
    /// administrative call, kept off the allocate/release path, which it would otherwise slow).
    public func bindings(subinstance: String) -> [IPBinding] {
        state.withLock { state in
            state.holdings.compactMap { $0?.subinstance == subinstance ? $0 : nil }
                .sorted { $0.ip < $1.ip }.map(makeBinding)
        }
    }

    /// Every binding of the pool, ordered by address.
    public func allBindings() -> [IPBinding] {
        state.withLock { state in
            state.holdings.compactMap { $0 }.sorted { $0.ip < $1.ip }.map(makeBinding)
        }
    }

    /// Releases the address the owner holds and returns it; throws `.unknownOwner` if it holds none.
    @discardableResult
    public func release(subinstance: String, resource: String) throws(IPPoolError) -> IPAddress {
        #if !hasFeature(Embedded)
            if let storage { return try durableRelease(subinstance: subinstance, resource: resource, storage) }
        #endif
        let (ip, fired) = try state.withLock { (state) throws(IPPoolError) -> (IPAddress, [ReleaseObservers.Entry]) in
            guard let ip = state.holding(subinstance: subinstance, resource: resource)?.ip, state.take(ip) != nil else {
                throw IPPoolError.unknownOwner(subinstance: subinstance, resource: resource)
            }
            return (ip, state.releaseObservers.takeFired())
        }
        IPPool.run(fired)
        return ip
    }

    /// Releases an allocated address and returns the binding it had; throws
    /// `.addressOutsideRanges` or `.unknownBinding` when there is nothing to release.
    @discardableResult
    public func release(_ ip: IPAddress) throws(IPPoolError) -> IPBinding {
        #if !hasFeature(Embedded)
            if let storage { return try durableRelease(ip, storage) }
        #endif
        let (binding, fired) = try state.withLock {
            (state) throws(IPPoolError) -> (IPBinding, [ReleaseObservers.Entry]) in
            guard let holding = state.take(ip) else {
                if state.rangeIndex(containing: ip) == nil { throw IPPoolError.addressOutsideRanges(ip, pool: name) }
                throw IPPoolError.unknownBinding(ip)
            }
            return (IPBinding(holding, pool: name, issuer: self), state.releaseObservers.takeFired())
        }
        IPPool.run(fired)
        return binding
    }

    /// Counts of the whole pool and of each range.
    public var statistics: PoolStatistics {
        state.withLock { state in
            let ranges = state.ranges.map { range in
                RangeStatistics(
                    network: range.network, total: range.usable, allocated: AddressCount(range.allocated),
                    allocatorBytes: range.allocator.memoryBytes)
            }
            return PoolStatistics(ranges: ranges)
        }
    }

    /// True while `ip` is held by the allocation numbered `generation`.
    func holds(_ ip: IPAddress, generation: UInt64) -> Bool {
        state.withLock { state in state.holding(of: ip)?.generation == generation }
    }

    private func makeBinding(_ holding: Holding) -> IPBinding {
        IPBinding(
            ip: holding.ip, subinstance: holding.subinstance, resource: holding.resource, type: holding.type,
            pool: name, generation: holding.generation, issuer: self)
    }
}
