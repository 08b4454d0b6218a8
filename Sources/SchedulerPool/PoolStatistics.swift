/// Address counts of a whole pool: the sums over its ranges.
public struct PoolStatistics: Sendable, Hashable {
    /// One entry per range, in the order the ranges were added.
    public let ranges: [RangeStatistics]

    /// Addresses that can be handed out (reserved addresses excluded).
    public var total: AddressCount { ranges.reduce(0) { $0 + $1.total } }
    /// Addresses held by owners.
    public var allocated: AddressCount { ranges.reduce(0) { $0 + $1.allocated } }
    /// Addresses that can still be handed out.
    public var free: AddressCount { total - allocated }
    /// Bytes the bitmap allocators of all ranges hold now.
    public var allocatorBytes: Int { ranges.reduce(0) { $0 + $1.allocatorBytes } }
}

/// Address counts of one range of a pool.
public struct RangeStatistics: Sendable, Hashable {
    /// The range.
    public let network: IPNetwork
    /// Addresses that can be handed out (reserved addresses excluded).
    public let total: AddressCount
    /// Addresses held by owners.
    public let allocated: AddressCount
    /// Addresses that can still be handed out.
    public var free: AddressCount { total - allocated }
    /// Bytes the range's bitmap allocator holds now: it grows with allocations, not with the range size.
    public let allocatorBytes: Int
}
