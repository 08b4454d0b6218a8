/// What a pool knows, guarded by the pool's mutex: its ranges and who holds which address.
struct PoolState {
    /// The ranges in the order they were added; allocation tries them in this order.
    var ranges: [PoolRange] = []
    /// The holder of every allocated address.
    var holders: [IPAddress: Holding] = [:]
    /// The address of every owner: subinstance, then resource.
    var owners: [String: [String: IPAddress]] = [:]
    /// The generation the next allocation gets; never reused, so old bindings never revive.
    var nextGeneration: UInt64 = 1

    /// The index of the range that contains `ip`, if any.
    func rangeIndex(containing ip: IPAddress) -> Int? {
        ranges.firstIndex { $0.network.contains(ip) }
    }

    /// The address `owner` holds, if any.
    func address(subinstance: String, resource: String) -> IPAddress? {
        owners[subinstance]?[resource]
    }

    /// Records a new allocation and returns its generation.
    mutating func record(_ ip: IPAddress, subinstance: String, resource: String, type: ResourceType) -> UInt64 {
        let generation = nextGeneration
        nextGeneration += 1
        holders[ip] = Holding(subinstance: subinstance, resource: resource, type: type, generation: generation)
        owners[subinstance, default: [:]][resource] = ip
        return generation
    }

    /// Forgets the allocation of `ip` held by `holding`.
    mutating func forget(_ ip: IPAddress, heldBy holding: Holding) {
        holders[ip] = nil
        owners[holding.subinstance]?[holding.resource] = nil
        if owners[holding.subinstance]?.isEmpty == true { owners[holding.subinstance] = nil }
    }
}

/// The owner and generation of one allocated address.
struct Holding {
    let subinstance: String
    let resource: String
    let type: ResourceType
    let generation: UInt64
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
