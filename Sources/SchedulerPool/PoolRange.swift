/// One CIDR range of a pool and the allocator of its offsets.
struct PoolRange {
    let network: IPNetwork
    let allocator: RangeAllocator
    /// `allocator.handle`, for the hot paths (calls on it need not retain `allocator`).
    let handle: OpaquePointer
    /// Offsets never handed out: the IPv4 network and broadcast addresses below /31, the IPv6
    /// subnet-router anycast address (all host bits zero) below /127.
    let reserved: [UInt128]
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

    /// Addresses allocated to owners: the offsets that carry an allocation's value (reserved and
    /// quarantined offsets are marked without one).
    var allocated: UInt128 { allocator.valuedCount }

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
