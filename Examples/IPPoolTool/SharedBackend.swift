import SchedulerPool
import SchedulerPoolPostgres

/// A pool shared by many hosts in PostgreSQL (`SharedIPPool`).
struct SharedBackend: PoolBackend {
    let pool: SharedIPPool

    func row(_ binding: SharedIPBinding) -> BindingRow {
        BindingRow(
            ip: binding.ip.description, subinstance: binding.subinstance, resource: binding.resource,
            type: binding.type.description, host: binding.host)
    }

    func addRange(_ cidr: String) async throws { try await pool.addCIDRRange(cidr) }

    func allocate(subinstance: String, resource: String, type: ResourceType, ip: IPAddress?) async throws -> BindingRow
    {
        if let ip {
            try await pool.allocate(ip, subinstance: subinstance, resource: resource, type: type)
            return row(try await pool.binding(subinstance: subinstance, resource: resource)!)
        }
        return row(try await pool.allocateBinding(subinstance: subinstance, resource: resource, type: type))
    }

    func release(subinstance: String, resource: String) async throws -> BindingRow {
        guard let binding = try await pool.binding(subinstance: subinstance, resource: resource) else {
            throw SharedPoolError.pool(.unknownOwner(subinstance: subinstance, resource: resource))
        }
        try await pool.release(subinstance: subinstance, resource: resource)
        return row(binding)
    }

    func release(_ ip: IPAddress) async throws -> BindingRow { row(try await pool.release(ip)) }

    func show(_ ip: IPAddress) async throws -> BindingRow? { try await pool.binding(for: ip).map(row) }

    func list(subinstance: String?) async throws -> [BindingRow] {
        if let subinstance { return try await pool.bindings(subinstance: subinstance).map(row) }
        return try await pool.allBindings().map(row)
    }

    func stats() async throws -> StatsReport {
        let statistics = try await pool.statistics()
        return StatsReport(
            pool: pool.name, total: statistics.total.description, allocated: statistics.allocated.description,
            free: statistics.free.description,
            ranges: statistics.ranges.map {
                RangeRow(
                    range: $0.network.description, total: $0.total.description, allocated: $0.allocated.description,
                    free: $0.free.description)
            }, claimedBlocks: statistics.claimedBlocks, expiredBlocks: statistics.expiredBlocks,
            quarantined: statistics.quarantined)
    }

    func reconcile(liveOwners: Set<String>) async throws -> [BindingRow] {
        try await pool.reconcile(liveOwners: liveOwners).map(row)
    }

    func close() async { await pool.shutdown() }
}
