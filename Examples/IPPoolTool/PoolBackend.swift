import SchedulerPool

/// One binding as `ippool` prints it, from either kind of pool.
struct BindingRow: Encodable {
    let ip: String
    let subinstance: String
    let resource: String
    let type: String
    /// The host that wrote it (shared pools only).
    let host: String?
}

/// One range's counts as `ippool stats` prints them.
struct RangeRow: Encodable {
    let range: String
    let total: String
    let allocated: String
    let free: String
}

/// `ippool stats`: the ranges and, for a shared pool, blocks and quarantine.
struct StatsReport: Encodable {
    let pool: String
    let total: String
    let allocated: String
    let free: String
    let ranges: [RangeRow]
    let claimedBlocks: Int?
    let expiredBlocks: Int?
    let quarantined: Int?
}

/// What `ippool` does on a pool, durable (`--dir`) or shared (`--database`).
protocol PoolBackend {
    func addRange(_ cidr: String) async throws
    func allocate(subinstance: String, resource: String, type: ResourceType, ip: IPAddress?) async throws -> BindingRow
    func release(subinstance: String, resource: String) async throws -> BindingRow
    func release(_ ip: IPAddress) async throws -> BindingRow
    func show(_ ip: IPAddress) async throws -> BindingRow?
    func list(subinstance: String?) async throws -> [BindingRow]
    func stats() async throws -> StatsReport
    func reconcile(liveOwners: Set<String>) async throws -> [BindingRow]
    func close() async
}
