/// What a pool knows, guarded by the pool's mutex: its ranges and who holds which address.
///
/// Each allocation is one `Holding` in `slots`, at a slot number that the range's C allocator
/// stores beside the address's bit (so the address leads to its holding in the same walk that
/// releases it) and that `byOwner` indexes by owner (see `SlotIndex`). The hot paths
/// (`allocate(subinstance:resource:type:)`, `take(_:)`) reach holdings through buffer pointers
/// and move them in and out, so that they neither copy owner strings nor check array bounds.
struct PoolState {
    /// The ranges in the order they were added; allocation tries them in this order.
    var ranges: [PoolRange] = []
    /// Every allocation, by slot; vacant slots (`Holding.isVacant`) form the list at `freeSlot`.
    var slots: [Holding] = []
    /// For a held slot, the `ownerHash` of its holding, kept apart from it: a release reads it in
    /// parallel with the holding (one more cache miss in flight, not one after the other) to find
    /// the owner's bucket in `byOwner`. For a vacant slot, the next vacant slot (`UInt32.max` ends).
    var ownerTags: [UInt32] = []
    /// The most recently vacated slot, or `UInt32.max` when no slot is vacant.
    var freeSlot = UInt32.max
    /// The slot of every owner (subinstance, resource).
    var byOwner = SlotIndex()
    /// The generation the next allocation gets; never reused, so old bindings never revive.
    var nextGeneration: UInt64 = 1
    /// The hash `byOwner` is keyed by.
    let ownerHash = OwnerHash()

    /// Every allocation by slot, `nil` for a vacant slot (for administrative calls and snapshots).
    var holdings: [Holding?] { slots.map { $0.isVacant ? nil : $0 } }

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
        return RangeAllocator.value(ranges[index].handle, at: ranges[index].offset(of: ip))
    }

    /// The allocation of `ip`, if any.
    func holding(of ip: IPAddress) -> Holding? {
        slot(of: ip).map { slots[Int($0)] }
    }

    /// The slot the next `record` will use.
    var nextSlot: UInt32 { freeSlot != .max ? freeSlot : UInt32(slots.count) }

    /// The slot of the allocation the owner holds, if any; `hash` is `ownerHash(subinstance, resource)`.
    func slot(subinstance: String, resource: String, hash: UInt32) -> UInt32? {
        slots.withUnsafeBufferPointer { slots in
            byOwner.slot(tag: hash) { slot in
                let holding = slots.baseAddress! + Int(slot)
                return holding.pointee.resource == resource && holding.pointee.subinstance == subinstance
            }
        }
    }

    /// The allocation the owner holds, if any; `ownerHash` is `ownerHash(subinstance, resource)`.
    func holding(subinstance: String, resource: String, ownerHash: UInt32? = nil) -> Holding? {
        let hash = ownerHash ?? self.ownerHash(subinstance, resource)
        return slot(subinstance: subinstance, resource: resource, hash: hash).map { slots[Int($0)] }
    }

    /// The address the owner holds, else a free one from the first range that has one, now
    /// recorded for the owner; `nil` when every range is full.
    mutating func allocate(subinstance: String, resource: String, type: ResourceType)
        throws(IPPoolError) -> IPAddress?
    {
        let hash = ownerHash(subinstance, resource)
        if let held = slot(subinstance: subinstance, resource: resource, hash: hash) {
            return slots[Int(held)].ip
        }
        let slot = nextSlot
        for index in ranges.indices {
            guard let offset = try RangeAllocator.allocate(ranges[index].handle, value: slot) else { continue }
            ranges[index].allocated += 1
            let ip = ranges[index].address(at: offset)
            record(ip, subinstance: subinstance, resource: resource, type: type, ownerHash: hash)
            return ip
        }
        return nil
    }

    /// Records a new allocation, which the range's allocator holds under `nextSlot`;
    /// `ownerHash` is `ownerHash(subinstance, resource)`.
    mutating func record(
        _ ip: IPAddress, subinstance: String, resource: String, type: ResourceType, ownerHash: UInt32? = nil
    ) {
        let hash = ownerHash ?? self.ownerHash(subinstance, resource)
        let slot = nextSlot
        let holding = Holding(
            subinstance: subinstance, resource: resource, type: type, slot: slot, generation: nextGeneration, ip: ip)
        nextGeneration += 1
        if Int(slot) == slots.count {
            slots.append(holding)
            ownerTags.append(hash)
        } else {
            ownerTags.withUnsafeMutableBufferPointer { tags in
                freeSlot = tags[Int(slot)]
                tags[Int(slot)] = hash
            }
            // A vacant holding owns no references (empty strings), so it is overwritten, not destroyed.
            slots.withUnsafeMutableBufferPointer { ($0.baseAddress! + Int(slot)).initialize(to: holding) }
        }
        byOwner.insert(tag: hash, slot: slot)
    }

    /// Frees `ip` in its range's allocator and forgets its allocation, which it returns (moved
    /// out, not copied); `nil`, with nothing changed, when `ip` is not allocated.
    mutating func take(_ ip: IPAddress) -> Holding? {
        guard let index = rangeIndex(containing: ip) else { return nil }
        let offset = ranges[index].offset(of: ip)
        let handle = ranges[index].handle
        guard let slot = RangeAllocator.value(handle, at: offset) else { return nil }
        guard RangeAllocator.unmark(handle, offset) else {
            preconditionFailure("allocator and holders disagree about " + ip.description)
        }
        ranges[index].allocated -= 1
        let tag = vacate(slot)
        let holding = slots.withUnsafeMutableBufferPointer { slots in
            let pointer = slots.baseAddress! + Int(slot)
            let holding = pointer.move()
            pointer.initialize(to: Holding.vacant)
            return holding
        }
        byOwner.remove(tag: tag, slot: slot)
        return holding
    }

    /// Forgets the allocation `holding` (its address stays marked in the allocator).
    mutating func forget(_ holding: Holding) {
        byOwner.remove(tag: vacate(holding.slot), slot: holding.slot)
        slots[Int(holding.slot)] = Holding.vacant
    }

    /// Puts `slot` at the head of the vacant list; returns the owner tag it had.
    private mutating func vacate(_ slot: UInt32) -> UInt32 {
        let next = freeSlot
        freeSlot = slot
        return ownerTags.withUnsafeMutableBufferPointer { tags in
            let tag = tags[Int(slot)]
            tags[Int(slot)] = next
            return tag
        }
    }
}

/// One allocated address, its owner, the generation of the allocation and its slot.
///
/// The fields are in this order so that they pack into 88 bytes (`ResourceType` takes 17 and
/// `IPAddress` 17): a holding spans two cache lines, not three.
struct Holding {
    let subinstance: String
    let resource: String
    let type: ResourceType
    let slot: UInt32
    let generation: UInt64
    let ip: IPAddress

    /// The content of a free slot: empty strings (no references) and slot number `UInt32.max`.
    static var vacant: Holding {
        Holding(subinstance: "", resource: "", type: .custom(""), slot: .max, generation: 0, ip: IPAddress(ipv4: 0))
    }

    /// True for the content of a free slot.
    var isVacant: Bool { slot == .max }
}

/// One CIDR range of a pool and the allocator of its offsets.
struct PoolRange {
    let network: IPNetwork
    let allocator: RangeAllocator
    /// `allocator.handle`, for the hot paths (calls on it need not retain `allocator`).
    let handle: OpaquePointer
    /// Offsets never handed out: the IPv4 network and broadcast addresses below /31, the IPv6
    /// subnet-router anycast address (all host bits zero) below /127.
    let reserved: [UInt128]
    /// Addresses allocated to owners (reserved offsets not counted).
    var allocated: UInt128 = 0
    /// `network.hostMask`, kept: computing it takes 128-bit shifts on every lookup.
    let hostMask: UInt128
    /// `network.address.bits`.
    let base: UInt128

    init(network: IPNetwork) throws(IPPoolError) {
        self.network = network
        hostMask = network.hostMask
        base = network.address.bits
        let last = network.hostMask
        switch network.family {
        case .ipv4: reserved = network.prefixLength < 31 ? [0, last] : []
        case .ipv6: reserved = network.prefixLength < 127 ? [0] : []
        }
        allocator = try RangeAllocator(hostBits: network.hostBits)
        handle = allocator.handle
        for offset in reserved { _ = try allocator.mark(offset) }
    }

    /// Addresses that can be handed out.
    var usable: AddressCount { network.count - AddressCount(UInt128(reserved.count)) }

    /// True when `ip` is in the range (`network.contains(ip)` with the mask kept).
    func contains(_ ip: IPAddress) -> Bool {
        ip.family == network.family && ip.bits & ~hostMask == base
    }

    /// The offset of `ip` inside the range (the caller checked `contains(ip)`).
    func offset(of ip: IPAddress) -> UInt128 { ip.bits & hostMask }

    /// The address at `offset`.
    func address(at offset: UInt128) -> IPAddress {
        IPAddress(family: network.family, bits: base | offset)
    }
}
