import SchedulerPool

/// Counts of a shared pool, read from the database at one moment.
public struct SharedPoolStatistics: Sendable, Hashable {
    /// One entry per range, in the order the ranges were added.
    public let ranges: [SharedRangeStatistics]
    /// Blocks claimed by any host.
    public let claimedBlocks: Int
    /// Blocks claimed whose lease has run out (their host is presumed dead; any host may take them over).
    public let expiredBlocks: Int
    /// Addresses released into quarantine and not yet reusable.
    public let quarantined: Int

    /// Addresses that can be handed out (reserved addresses excluded).
    public var total: AddressCount { ranges.reduce(0) { $0 + $1.total } }
    /// Addresses held by owners.
    public var allocated: AddressCount { ranges.reduce(0) { $0 + $1.allocated } }
    /// Addresses that can still be handed out.
    public var free: AddressCount { total - allocated }
}

/// Address counts of one range of a shared pool.
public struct SharedRangeStatistics: Sendable, Hashable {
    /// The range.
    public let network: IPNetwork
    /// Addresses that can be handed out (reserved addresses excluded).
    public let total: AddressCount
    /// Addresses held by owners.
    public let allocated: AddressCount
    /// Addresses that can still be handed out.
    public var free: AddressCount { total - allocated }
}

/// What a pool object did since it was opened: the effect of group commit.
public struct SharedPoolCounters: Sendable, Hashable {
    /// Allocations this object committed (new rows, not idempotent repeats).
    public let allocations: Int
    /// Allocation statements (each its own transaction) that carried them.
    public let allocationTransactions: Int
    /// Blocks this object claimed or took over.
    public let blockClaims: Int
    /// Addresses borrowed from other hosts' blocks.
    public let borrowed: Int
    /// Connections opened (1 plus reconnects).
    public let connections: Int
}
