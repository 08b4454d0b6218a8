/// What a pool knows, guarded by the pool's mutex: its ranges and who holds which address.
///
/// Each allocation is one `Holding` in `table`, at a slot that `byOwner` indexes by owner.
/// The range's C allocator stores one 64-bit value beside the address's bit: the slot in the
/// low half, the owner's hash (its `SlotIndex` tag) in the high half. So a release by address
/// learns, in the same walk that frees the bit, both where the holding is and where its index
/// entry is, and fetches the two at once rather than one after the other.
struct PoolState: ~Copyable {
    /// The ranges in the order they were added; allocation tries them in this order.
    var ranges: [PoolRange] = []
    /// Every allocation, by slot.
    var table = HoldingTable()
    /// The slot of every owner (subinstance, resource).
    var byOwner = SlotIndex()
    /// The generation the next allocation gets; never reused, so old bindings never revive.
    var nextGeneration: UInt64 = 1
    /// The hash `byOwner` is keyed by.
    let ownerHash = OwnerHash()
    /// Who waits for which allocation to end (`IPBinding.onRelease`).
    var releaseObservers = ReleaseObservers()

    /// Every allocation by slot, `nil` for a vacant slot (for administrative calls and snapshots).
    var holdings: [Holding?] { table.holdings }

    /// The value the allocator keeps beside an address held in `slot` by an owner of hash `tag`.
    static func allocatorValue(slot: UInt32, tag: UInt32) -> UInt64 { UInt64(tag) << 32 | UInt64(slot) }

    /// The index of the range that contains `ip`, if any.
    func rangeIndex(containing ip: IPAddress) -> Int? {
        ranges.withUnsafeBufferPointer { ranges in
            for index in ranges.indices where ranges[index].contains(ip) { return index }
            return nil
        }
    }

    /// The slot of the allocation of `ip`, if any.
    func slot(of ip: IPAddress) -> UInt32? {
        guard let index = rangeIndex(containing: ip) else { return nil }
        let value = RangeAllocator.value(ranges[index].handle, at: ranges[index].offset(of: ip))
        return value.map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The allocation of `ip`, if any.
    func holding(of ip: IPAddress) -> Holding? {
        slot(of: ip).map { table[$0] }
    }

    /// The slot of the allocation the owner holds, if any; `hash` is `ownerHash(subinstance, resource)`.
    @inline(__always)
    func slot(subinstance: String, resource: String, hash: UInt32) -> UInt32? {
        byOwner.slot(tag: hash) { table.matches($0, subinstance: subinstance, resource: resource) }
    }

    /// The allocation the owner holds, if any.
    func holding(subinstance: String, resource: String) -> Holding? {
        let hash = ownerHash(subinstance, resource)
        return slot(subinstance: subinstance, resource: resource, hash: hash).map { table[$0] }
    }

    /// The address the owner holds, else a free one from the first range that has one, now
    /// recorded for the owner; `nil` when every range is full.
    mutating func allocate(subinstance: String, resource: String, type: ResourceType)
        throws(IPPoolError) -> IPAddress?
    {
        let hash = ownerHash(subinstance, resource)
        if let held = slot(subinstance: subinstance, resource: resource, hash: hash) {
            return table[held].ip
        }
        let slot = table.nextSlot
        let value = Self.allocatorValue(slot: slot, tag: hash)
        for index in ranges.indices {
            guard let offset = try RangeAllocator.allocate(ranges[index].handle, value: value) else { continue }
            let ip = ranges[index].address(at: offset)
            record(ip, subinstance: subinstance, resource: resource, type: type, slot: slot, hash: hash)
            return ip
        }
        return nil
    }

    /// Marks the free, unreserved `offset` of range `index` allocated to the owner and records
    /// it, as allocation number `generation` if given; false, with nothing changed, when the
    /// allocator already has the offset in use (a reserved or quarantined address).
    mutating func claim(
        _ index: Int, offset: UInt128, subinstance: String, resource: String, type: ResourceType,
        generation: UInt64? = nil
    ) throws(IPPoolError) -> Bool {
        let hash = ownerHash(subinstance, resource)
        let slot = table.nextSlot
        guard try ranges[index].allocator.mark(offset, value: Self.allocatorValue(slot: slot, tag: hash)) else {
            return false
        }
        if let generation { nextGeneration = generation }
        record(
            ranges[index].address(at: offset), subinstance: subinstance, resource: resource, type: type, slot: slot,
            hash: hash)
        return true
    }

    /// Records a new allocation in `slot` (`table.nextSlot`), which the allocator now keeps
    /// beside the address; `hash` is `ownerHash(subinstance, resource)`.
    @inline(__always)
    private mutating func record(
        _ ip: IPAddress, subinstance: String, resource: String, type: ResourceType, slot: UInt32, hash: UInt32
    ) {
        table.insert(
            Holding(subinstance: subinstance, resource: resource, type: type, generation: nextGeneration, ip: ip))
        nextGeneration += 1
        byOwner.insert(tag: hash, slot: slot)
    }

    /// Frees `ip` in its range's allocator and forgets its allocation, which it returns (moved
    /// out, not copied); `nil`, with nothing changed, when `ip` is not allocated to an owner.
    mutating func take(_ ip: IPAddress) -> Holding? {
        guard let index = rangeIndex(containing: ip) else { return nil }
        guard let value = RangeAllocator.take(ranges[index].handle, ranges[index].offset(of: ip)) else { return nil }
        let slot = UInt32(truncatingIfNeeded: value)
        // The allocation and the owner bucket are two cache misses on a large pool: overlap them.
        table.prefetch(slot)
        byOwner.remove(tag: UInt32(truncatingIfNeeded: value >> 32), slot: slot)
        let holding = table.remove(slot)
        if !releaseObservers.isEmpty { releaseObservers.released(ip, generation: holding.generation) }
        return holding
    }
}
