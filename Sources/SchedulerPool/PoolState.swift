/// What a pool knows, guarded by the pool's mutex: its ranges and who holds which address.
///
/// Each allocation is one `Holding` in `holdings`, at a slot number that the range's C
/// allocator stores beside the address's bit (so the address leads to its holding in the same
/// walk that releases it) and that `byOwner` indexes by owner (see `SlotIndex`).
struct PoolState {
    /// The ranges in the order they were added; allocation tries them in this order.
    var ranges: [PoolRange] = []
    /// Every allocation, by slot; `nil` slots are free and listed in `freeSlots`.
    var holdings: [Holding?] = []
    var freeSlots: [UInt32] = []
    /// The slot of every owner (subinstance, resource).
    var byOwner = SlotIndex()
    /// The generation the next allocation gets; never reused, so old bindings never revive.
    var nextGeneration: UInt64 = 1

    /// The index of the range that contains `ip`, if any.
    func rangeIndex(containing ip: IPAddress) -> Int? {
        ranges.firstIndex { $0.network.contains(ip) }
    }

    /// The allocation of `ip`, if any.
    func holding(of ip: IPAddress) -> Holding? {
        guard let index = rangeIndex(containing: ip),
            let slot = ranges[index].allocator.value(at: ranges[index].offset(of: ip))
        else { return nil }
        return holdings[Int(slot)]
    }

    /// The slot the next `record` will use.
    var nextSlot: UInt32 { freeSlots.last ?? UInt32(holdings.count) }

    /// The allocation the owner holds, if any; `ownerHash` is `PoolState.ownerHash(subinstance, resource)`.
    func holding(subinstance: String, resource: String, ownerHash: Int? = nil) -> Holding? {
        byOwner.slot(hash: ownerHash ?? Self.ownerHash(subinstance, resource)) {
            let holding = holdings[Int($0)]!
            return holding.resource == resource && holding.subinstance == subinstance
        }.map { holdings[Int($0)]! }
    }

    /// Records a new allocation, which the range's allocator holds under `nextSlot`;
    /// `ownerHash` is `PoolState.ownerHash(subinstance, resource)`.
    mutating func record(
        _ ip: IPAddress, subinstance: String, resource: String, type: ResourceType, ownerHash: Int? = nil
    ) {
        let slot = freeSlots.popLast() ?? UInt32(holdings.count)
        let holding = Holding(
            ip: ip, subinstance: subinstance, resource: resource, type: type, generation: nextGeneration, slot: slot,
            ownerHash: ownerHash ?? Self.ownerHash(subinstance, resource))
        nextGeneration += 1
        if Int(slot) == holdings.count {
            holdings.append(holding)
        } else {
            holdings[Int(slot)] = holding
        }
        byOwner.insert(hash: holding.ownerHash, slot: slot)
    }

    /// Forgets the allocation `holding`.
    mutating func forget(_ holding: Holding) {
        byOwner.remove(hash: holding.ownerHash, slot: holding.slot)
        holdings[Int(holding.slot)] = nil
        freeSlots.append(holding.slot)
    }

    /// The hash under which `byOwner` indexes an owner.
    static func ownerHash(_ subinstance: String, _ resource: String) -> Int {
        var hasher = Hasher()
        hasher.combine(subinstance)
        hasher.combine(resource)
        return hasher.finalize()
    }
}

/// One allocated address, its owner, the generation of the allocation, its slot, and the
/// owner hash it is indexed under (kept so that a release does not hash again).
struct Holding {
    let ip: IPAddress
    let subinstance: String
    let resource: String
    let type: ResourceType
    let generation: UInt64
    let slot: UInt32
    let ownerHash: Int
}

/// One CIDR range of a pool and the allocator of its offsets.
struct PoolRange {
    let network: IPNetwork
    let allocator: RangeAllocator
    /// Offsets never handed out: the IPv4 network and broadcast addresses below /31, the IPv6
    /// subnet-router anycast address (all host bits zero) below /127.
    let reserved: [UInt128]
    /// Addresses allocated to owners (reserved offsets not counted).
    var allocated: UInt128 = 0

    init(network: IPNetwork) throws(IPPoolError) {
        self.network = network
        let last = network.hostMask
        switch network.family {
        case .ipv4: reserved = network.prefixLength < 31 ? [0, last] : []
        case .ipv6: reserved = network.prefixLength < 127 ? [0] : []
        }
        allocator = try RangeAllocator(hostBits: network.hostBits)
        for offset in reserved { _ = try allocator.mark(offset) }
    }

    /// Addresses that can be handed out.
    var usable: AddressCount { network.count - AddressCount(UInt128(reserved.count)) }

    /// The offset of `ip` inside the range (the caller checked `network.contains(ip)`).
    func offset(of ip: IPAddress) -> UInt128 { ip.bits & network.hostMask }

    /// The address at `offset`.
    func address(at offset: UInt128) -> IPAddress {
        IPAddress(family: network.family, bits: network.address.bits | offset)
    }
}
