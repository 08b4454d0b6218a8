import Foundation
import SchedulerPool

/// A durable local pool: `<dir>/<pool>.journal` and `.snapshot` (`IPPool(name:storageDirectory:)`).
struct DurableBackend: PoolBackend {
    let pool: IPPool

    /// Opens the pool; unless `create`, refuses a directory that holds no pool of this name.
    init(directory: String, name: String, create: Bool) throws {
        let base = (directory as NSString).appendingPathComponent(name)
        if !create && !FileManager.default.fileExists(atPath: base + ".journal")
            && !FileManager.default.fileExists(atPath: base + ".snapshot")
        {
            throw ToolError.noPool("no pool \"" + name + "\" in " + directory + " (run create first)")
        }
        if create {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        pool = try IPPool(name: name, storageDirectory: directory)
    }

    func row(_ binding: IPBinding) -> BindingRow {
        BindingRow(
            ip: binding.ip.description, subinstance: binding.subinstance, resource: binding.resource,
            type: binding.type.description, host: nil)
    }

    func addRange(_ cidr: String) async throws { try pool.addCIDRRange(cidr) }

    func allocate(subinstance: String, resource: String, type: ResourceType, ip: IPAddress?) async throws -> BindingRow
    {
        if let ip {
            try pool.allocate(ip, subinstance: subinstance, resource: resource, type: type)
        } else {
            _ = try pool.allocate(subinstance: subinstance, resource: resource, type: type)
        }
        return row(pool.binding(subinstance: subinstance, resource: resource)!)
    }

    func release(subinstance: String, resource: String) async throws -> BindingRow {
        try pool.synchronize()
        guard let binding = pool.binding(subinstance: subinstance, resource: resource) else {
            throw IPPoolError.unknownOwner(subinstance: subinstance, resource: resource)
        }
        try pool.release(subinstance: subinstance, resource: resource)
        return row(binding)
    }

    func release(_ ip: IPAddress) async throws -> BindingRow { row(try pool.release(ip)) }

    func show(_ ip: IPAddress) async throws -> BindingRow? {
        try pool.synchronize()
        return pool.binding(for: ip).map(row)
    }

    func list(subinstance: String?) async throws -> [BindingRow] {
        try pool.synchronize()
        return (subinstance.map { pool.bindings(subinstance: $0) } ?? pool.allBindings()).map(row)
    }

    func stats() async throws -> StatsReport {
        try pool.synchronize()
        let statistics = pool.statistics
        return StatsReport(
            pool: pool.name, total: statistics.total.description, allocated: statistics.allocated.description,
            free: statistics.free.description,
            ranges: statistics.ranges.map {
                RangeRow(
                    range: $0.network.description, total: $0.total.description, allocated: $0.allocated.description,
                    free: $0.free.description)
            }, claimedBlocks: nil, expiredBlocks: nil, quarantined: pool.quarantinedCount)
    }

    func reconcile(liveOwners: Set<String>) async throws -> [BindingRow] {
        try pool.reconcile(liveOwners: liveOwners).map(row)
    }

    func close() async {}
}
