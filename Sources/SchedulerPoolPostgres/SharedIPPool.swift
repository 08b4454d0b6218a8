import Foundation
import SchedulerPool

/// An IP pool kept in PostgreSQL and shared by many hosts: the operations of `IPPool`, `async`.
///
/// Each pool object (one per host or process) has one connection and one worker thread. It claims
/// blocks of the ranges for itself (`SharedPoolOptions.blockPrefixV4`, `...V6`) and allocates
/// inside them with the C bitmap; every allocation is one row, and the allocations queued at one
/// moment share one transaction. An allocation returns only after its transaction committed; the
/// table's unique keys on (pool, address) and (pool, subinstance, resource) keep any address
/// from two owners whatever the hosts do. Call `shutdown()` when done with the object.
public final class SharedIPPool: Sendable {
    /// The pool's name.
    public let name: String
    /// This object's host name in the database.
    public var host: String { worker.options.host }
    let worker: PoolWorker

    private init(name: String, worker: PoolWorker) {
        self.name = name
        self.worker = worker
    }

    /// Creates the pool (and the tables) when missing, then opens it; an existing pool keeps the
    /// block sizes and quarantine it was created with.
    public static func create(name: String, database: DatabaseTarget, options: SharedPoolOptions = SharedPoolOptions())
        async throws(SharedPoolError) -> SharedIPPool
    {
        guard (0...32).contains(options.blockPrefixV4), (0...128).contains(options.blockPrefixV6) else {
            throw .invalidConfiguration("block prefixes must be 0...32 (IPv4) and 0...128 (IPv6)")
        }
        return try await open(name: name, database: database, options: options, create: true)
    }

    /// Opens an existing pool; throws `.unknownPool` when the database has none of this name.
    public static func open(name: String, database: DatabaseTarget, options: SharedPoolOptions = SharedPoolOptions())
        async throws(SharedPoolError) -> SharedIPPool
    {
        try await open(name: name, database: database, options: options, create: false)
    }

    private static func open(name: String, database: DatabaseTarget, options: SharedPoolOptions, create: Bool)
        async throws(SharedPoolError) -> SharedIPPool
    {
        let worker = PoolWorker(pool: name, target: database, options: options)
        worker.start()
        let pool = SharedIPPool(name: name, worker: worker)
        do {
            try await pool.run("open pool") { (worker, deadline) throws(SharedPoolError) in
                try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                    try worker.connection.script(
                        SharedPoolSchema.script, operation: "create tables", deadline: deadline)
                    if create {
                        _ = try worker.query(
                            "INSERT INTO ippool_pools (name, block_v4, block_v6, quarantine_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            [
                                name, String(options.blockPrefixV4), String(options.blockPrefixV6),
                                String(PoolWorker.milliseconds(options.quarantine)),
                            ], "create pool", deadline)
                    }
                    try worker.loadPool(deadline)
                }
            }
        } catch {
            await pool.shutdown()
            throw error
        }
        return pool
    }

    /// Stops the worker thread after what is queued and closes the connection; later calls throw `.shutDown`.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let worker = self.worker
            Thread.detachNewThread {
                worker.stop()
                continuation.resume()
            }
        }
    }

    /// What this object did since it was opened (allocations per transaction, block claims, ...).
    public var counters: SharedPoolCounters { worker.counters }

    /// Runs `body` on the worker thread within the operation timeout.
    func run<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PoolWorker, ContinuousClock.Instant) throws(SharedPoolError) -> T
    ) async throws(SharedPoolError) -> T {
        let deadline = ContinuousClock.now + worker.options.timeout
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, SharedPoolError>, Never>) in
            worker.enqueue(
                WorkerJob(
                    deadline: deadline,
                    run: { worker in
                        do throws(SharedPoolError) {
                            continuation.resume(returning: .success(try body(worker, deadline)))
                        } catch {
                            continuation.resume(returning: .failure(error))
                        }
                    },
                    fail: { continuation.resume(returning: .failure($0)) }))
        }
        return try result.get()
    }

    // MARK: Ranges

    /// Adds a CIDR range such as `"10.0.0.0/16"`; a no-op when the pool has exactly this range;
    /// `.pool(.malformedRange)` or `.pool(.overlappingRange)` otherwise.
    public func addCIDRRange(_ cidr: String) async throws(SharedPoolError) {
        let network: IPNetwork
        do {
            network = try IPNetwork(parsing: cidr)
        } catch {
            throw .pool(.malformedRange(error))
        }
        try await addRange(network)
    }

    /// Adds a parsed range (see `addCIDRRange`).
    public func addRange(_ network: IPNetwork) async throws(SharedPoolError) {
        let name = self.name
        try await run("add range") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                try worker.transaction("add range", deadline) { () throws(SharedPoolError) in
                    _ = try worker.query(
                        "SELECT 1 FROM ippool_pools WHERE name = $1 FOR UPDATE", [name], "add range", deadline)
                    let rows = try worker.query(
                        "SELECT cidr::text FROM ippool_ranges WHERE pool = $1 AND cidr && $2::cidr",
                        [name, network.description],
                        "add range", deadline)
                    if let existing = rows.compactMap({ IPNetwork.parse($0[0]) }).first {
                        if existing == network { return }
                        throw .pool(.overlappingRange(network, existing: existing))
                    }
                    _ = try worker.query(
                        "INSERT INTO ippool_ranges (pool, cidr) VALUES ($1, $2::cidr)", [name, network.description],
                        "add range",
                        deadline)
                }
                try worker.loadRanges(deadline)
            }
        }
    }

    /// The pool's ranges, in the order they were added.
    public func ranges() async throws(SharedPoolError) -> [IPNetwork] {
        try await run("read ranges") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                try worker.loadRanges(deadline)
                return worker.ranges
            }
        }
    }

    // MARK: Allocation

    /// Allocates a free address to the owner, or returns the one it already holds (idempotent per
    /// owner, across hosts and retries); `.pool(.exhausted)` when no address is left anywhere.
    public func allocate(subinstance: String, resource: String, type: ResourceType) async throws(SharedPoolError)
        -> IPAddress
    {
        try await allocateBinding(subinstance: subinstance, resource: resource, type: type).ip
    }

    /// `allocate(subinstance:resource:type:)`, returning the whole binding.
    public func allocateBinding(subinstance: String, resource: String, type: ResourceType) async throws(SharedPoolError)
        -> SharedIPBinding
    {
        let deadline = ContinuousClock.now + worker.options.timeout
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<SharedIPBinding, SharedPoolError>, Never>) in
            worker.enqueue(
                AllocationRequest(
                    subinstance: subinstance, resource: resource, type: type, deadline: deadline,
                    reply: { continuation.resume(returning: $0) }))
        }
        return try result.get()
    }

    /// Allocates the given address to the owner; returns it unchanged if the owner already holds it.
    /// Throws `.pool(...)`: `.addressOutsideRanges`, `.reservedAddress`, `.addressHeldByAnotherOwner`,
    /// `.ownerHoldsAnotherAddress` or `.addressQuarantined`.
    @discardableResult
    public func allocate(_ ip: IPAddress, subinstance: String, resource: String, type: ResourceType)
        async throws(SharedPoolError) -> IPAddress
    {
        let name = self.name
        return try await run("allocate address") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                guard let range = try worker.range(containing: ip, deadline) else {
                    throw .pool(.addressOutsideRanges(ip, pool: name))
                }
                if range.isReserved(ip) { throw .pool(.reservedAddress(ip, range: range)) }
                _ = try worker.query(
                    "DELETE FROM ippool_allocations WHERE pool = $1 AND address = $2::inet AND quarantine_until <= now()",
                    [name, ip.description], "allocate address", deadline)
                let (kind, label) = SharedIPBinding.columns(of: type)
                let inserted = try worker.query(
                    PoolWorker.insertBatch,
                    [
                        name, worker.options.host, SQLText.array([ip.description]), SQLText.array([subinstance]),
                        SQLText.array([resource]), SQLText.array([kind]), SQLText.array([label]),
                    ], "allocate address", deadline)
                worker.markLocal(ip)
                if !inserted.isEmpty { return ip }
                let rows = try worker.query(
                    "SELECT \(SharedIPBinding.columns), extract(epoch FROM quarantine_until - now())::float8 FROM ippool_allocations WHERE pool = $1 AND (address = $2::inet OR (subinstance = $3 AND resource = $4))",
                    [name, ip.description, subinstance, resource], "allocate address", deadline)
                for row in rows where row[0].flatMap({ IPAddress($0) }) == ip {
                    if let holder = SharedIPBinding(row: row, pool: name) {
                        if holder.subinstance == subinstance && holder.resource == resource { return ip }
                        throw .pool(
                            .addressHeldByAnotherOwner(ip, subinstance: holder.subinstance, resource: holder.resource))
                    }
                    let remaining = Int64(max(0.001, Double(row[7] ?? "0") ?? 0) * 1e9)
                    throw .pool(
                        .addressQuarantined(
                            ip, untilNanoseconds: Self.realtimeNow() + remaining, remainingNanoseconds: remaining))
                }
                if let held = rows.compactMap({ SharedIPBinding(row: $0, pool: name) }).first {
                    throw .pool(.ownerHoldsAnotherAddress(subinstance: subinstance, resource: resource, held: held.ip))
                }
                throw .connectionLost(
                    operation: "allocate address", database: worker.database, reason: "row vanished, retry")
            }
        }
    }

    static func realtimeNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: Reading

    /// The binding of an allocated address, or `nil` if it is free or not in the pool.
    public func binding(for ip: IPAddress) async throws(SharedPoolError) -> SharedIPBinding? {
        try await select("WHERE pool = $1 AND address = $2::inet AND subinstance IS NOT NULL", [ip.description]).first
    }

    /// The binding the owner holds, or `nil`.
    public func binding(subinstance: String, resource: String) async throws(SharedPoolError) -> SharedIPBinding? {
        try await select("WHERE pool = $1 AND subinstance = $2 AND resource = $3", [subinstance, resource]).first
    }

    /// Every binding of a subinstance, ordered by address.
    public func bindings(subinstance: String) async throws(SharedPoolError) -> [SharedIPBinding] {
        try await select("WHERE pool = $1 AND subinstance = $2 ORDER BY address", [subinstance])
    }

    /// Every binding of the pool, ordered by address.
    public func allBindings() async throws(SharedPoolError) -> [SharedIPBinding] {
        try await select("WHERE pool = $1 AND subinstance IS NOT NULL ORDER BY address", [])
    }

    private func select(_ condition: String, _ parameters: [String]) async throws(SharedPoolError) -> [SharedIPBinding]
    {
        let name = self.name
        return try await run("read bindings") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                try worker.query(
                    "SELECT \(SharedIPBinding.columns) FROM ippool_allocations " + condition, [name] + parameters,
                    "read bindings", deadline
                ).compactMap { SharedIPBinding(row: $0, pool: name) }
            }
        }
    }

    // MARK: Release

    /// Releases the address the owner holds and returns it; `.pool(.unknownOwner)` if it holds none.
    @discardableResult
    public func release(subinstance: String, resource: String) async throws(SharedPoolError) -> IPAddress {
        let released = try await releaseRows("subinstance = $2 AND resource = $3", [subinstance, resource])
        guard let first = released.first else {
            throw .pool(.unknownOwner(subinstance: subinstance, resource: resource))
        }
        return first.ip
    }

    /// Releases an allocated address and returns the binding it had; `.pool(.addressOutsideRanges)`
    /// or `.pool(.unknownBinding)` when there is nothing to release.
    @discardableResult
    public func release(_ ip: IPAddress) async throws(SharedPoolError) -> SharedIPBinding {
        let released = try await releaseRows("address = $2::inet AND subinstance IS NOT NULL", [ip.description])
        if let first = released.first { return first }
        let name = self.name
        let inRange = try await run("release") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                try worker.range(containing: ip, deadline) != nil
            }
        }
        throw .pool(inRange ? .unknownBinding(ip) : .addressOutsideRanges(ip, pool: name))
    }

    /// Releases every binding whose subinstance is not in `liveOwners`, on every host, in one
    /// statement; returns what it released.
    @discardableResult
    public func reconcile(liveOwners: Set<String>) async throws(SharedPoolError) -> [SharedIPBinding] {
        try await releaseRows(
            "subinstance IS NOT NULL AND NOT (subinstance = ANY($2::text[]))", [SQLText.array(Array(liveOwners))])
    }

    /// Deletes (or, with a quarantine, empties until the deadline) the rows matching `condition`.
    private func releaseRows(_ condition: String, _ parameters: [String]) async throws(SharedPoolError)
        -> [SharedIPBinding]
    {
        let name = self.name
        return try await run("release") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: false) { () throws(SharedPoolError) in
                let sql: String
                if worker.quarantineMilliseconds > 0 {
                    sql = """
                        UPDATE ippool_allocations t SET subinstance = NULL, resource = NULL,
                            quarantine_until = now() + interval '\(worker.quarantineMilliseconds) milliseconds'
                        FROM (SELECT address AS a, subinstance AS s, resource AS r FROM ippool_allocations
                              WHERE pool = $1 AND \(condition) FOR UPDATE) old
                        WHERE t.pool = $1 AND t.address = old.a
                        RETURNING host(t.address), old.s, old.r, t.kind, t.label, t.host, t.id
                        """
                } else {
                    sql =
                        "DELETE FROM ippool_allocations WHERE pool = $1 AND \(condition) RETURNING \(SharedIPBinding.columns)"
                }
                let released = try worker.query(sql, [name] + parameters, "release", deadline)
                    .compactMap { SharedIPBinding(row: $0, pool: name) }.sorted { $0.ip < $1.ip }
                if worker.quarantineMilliseconds == 0 { released.forEach { worker.unmarkLocal($0.ip) } }
                return released
            }
        }
    }

    // MARK: Statistics

    /// Counts read from the database: per range, blocks claimed and expired, quarantined addresses.
    public func statistics() async throws(SharedPoolError) -> SharedPoolStatistics {
        let name = self.name
        return try await run("statistics") { (worker, deadline) throws(SharedPoolError) in
            try worker.retrying(idempotent: true) { () throws(SharedPoolError) in
                try worker.loadRanges(deadline)
                let counts = try worker.query(
                    """
                    SELECT r.cidr::text, (SELECT count(*) FROM ippool_allocations a WHERE a.pool = r.pool
                        AND a.address <<= r.cidr AND a.subinstance IS NOT NULL) FROM ippool_ranges r WHERE r.pool = $1
                    """, [name], "statistics", deadline)
                var allocated: [IPNetwork: UInt128] = [:]
                for row in counts {
                    if let network = IPNetwork.parse(row[0]) {
                        allocated[network] = row[1].flatMap { UInt128($0) } ?? 0
                    }
                }
                let totals = try worker.query(
                    """
                    SELECT (SELECT count(*) FROM ippool_blocks WHERE pool = $1),
                           (SELECT count(*) FROM ippool_blocks WHERE pool = $1 AND lease_until < now()),
                           (SELECT count(*) FROM ippool_allocations WHERE pool = $1 AND quarantine_until > now())
                    """, [name], "statistics", deadline)
                let row = totals.first ?? []
                func number(_ index: Int) -> Int { row.count > index ? row[index].flatMap { Int($0) } ?? 0 : 0 }
                return SharedPoolStatistics(
                    ranges: worker.ranges.map {
                        SharedRangeStatistics(
                            network: $0, total: $0.usable, allocated: AddressCount(allocated[$0] ?? 0))
                    },
                    claimedBlocks: number(0), expiredBlocks: number(1), quarantined: number(2))
            }
        }
    }
}
