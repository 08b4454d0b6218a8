import SchedulerPool

/// Allocation by owner: every request queued at one moment in one INSERT (one transaction).
extension PoolWorker {
    /// The statement of a batch: rows that conflict on the address or on the owner are skipped
    /// and returned by neither; the caller then finds out which.
    static let insertBatch = """
        INSERT INTO ippool_allocations (pool, address, subinstance, resource, kind, label, host)
        SELECT $1, a::inet, s, r, k, l, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(a, s, r, k, l)
        ON CONFLICT DO NOTHING
        RETURNING \(SharedIPBinding.columns)
        """

    /// Rows of the given owners and the given addresses.
    static let lookupBatch = """
        SELECT \(SharedIPBinding.columns), quarantine_until IS NOT NULL FROM ippool_allocations
        WHERE pool = $1 AND (address = ANY($2::inet[])
            OR (subinstance, resource) IN (SELECT * FROM unnest($3::text[], $4::text[])))
        """

    /// Serves `requests`: one address per distinct owner, idempotent (an owner with a row gets it back).
    func allocate(_ requests: [AllocationRequest]) {
        let now = ContinuousClock.now
        var groups: [String: [AllocationRequest]] = [:]
        var order: [String] = []
        for request in requests {
            if now >= request.deadline {
                request.reply(.failure(timedOut("allocate")))
                continue
            }
            let key = request.subinstance + "\u{0}" + request.resource
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(request)
        }
        guard !order.isEmpty else { return }
        let deadline = groups.values.flatMap { $0 }.map(\.deadline).min()!
        do {
            try retrying(idempotent: true) { () throws(SharedPoolError) in
                try allocate(groups: &groups, order: &order, deadline: deadline)
            }
        } catch {
            for key in order { groups[key]?.forEach { $0.reply(.failure(error)) } }
        }
    }

    private func allocate(
        groups: inout [String: [AllocationRequest]], order: inout [String], deadline: ContinuousClock.Instant
    )
        throws(SharedPoolError)
    {
        order = order.filter { groups[$0] != nil }
        var refreshed = false
        var attempts = 0
        while !order.isEmpty {
            attempts += 1
            var picks: [(key: String, ip: IPAddress)] = []
            var without: [String] = []
            for key in order {
                if let ip = takeLocal() { picks.append((key, ip)) } else { without.append(key) }
            }
            // Blocks of an earlier run under this host name are picked up once; then a full
            // block leads to a claim, and only when none is left to rereading this host's blocks
            // (addresses other hosts released there) and then to borrowing.
            if !without.isEmpty && !loadedOwnBlocks {
                try refreshBlocks(deadline)
                loadedOwnBlocks = true
                refreshed = true
                without = assign(without, to: &picks)
            }
            while !without.isEmpty, try claimBlock(deadline) {
                without = assign(without, to: &picks)
            }
            if !without.isEmpty && !refreshed {
                try refreshBlocks(deadline)
                refreshed = true
                without = assign(without, to: &picks)
            }
            if !without.isEmpty {
                let borrowed = try borrow(without.count, deadline)
                count { $0.borrowed += borrowed.count }
                for (key, ip) in zip(without, borrowed) { picks.append((key, ip)) }
                without.removeFirst(min(borrowed.count, without.count))
            }

            var inserted: [String: SharedIPBinding] = [:]
            if !picks.isEmpty {
                var addresses: [String] = []
                var subinstances: [String] = []
                var resources: [String] = []
                var kinds: [String] = []
                var labels: [String] = []
                for pick in picks {
                    let request = groups[pick.key]![0]
                    let (kind, label) = SharedIPBinding.columns(of: request.type)
                    addresses.append(pick.ip.description)
                    subinstances.append(request.subinstance)
                    resources.append(request.resource)
                    kinds.append(kind)
                    labels.append(label)
                }
                let rows = try query(
                    Self.insertBatch,
                    [
                        pool, options.host, SQLText.array(addresses), SQLText.array(subinstances),
                        SQLText.array(resources),
                        SQLText.array(kinds), SQLText.array(labels),
                    ], "allocate", deadline)
                count { $0.transactions += 1 }
                for row in rows {
                    guard let binding = SharedIPBinding(row: row, pool: pool) else { continue }
                    inserted[binding.subinstance + "\u{0}" + binding.resource] = binding
                }
                count { $0.allocations += inserted.count }
            }
            var failed: [String] = []
            for key in order {
                if let binding = inserted[key] {
                    groups[key]?.forEach { $0.reply(.success(binding)) }
                    groups[key] = nil
                } else {
                    failed.append(key)
                }
            }
            if failed.isEmpty { break }

            // Which failed because the owner already has a row (idempotent: give it back), which
            // because another host took the address (keep it marked, try another).
            let failedPicks = picks.filter { inserted[$0.key] == nil }
            let owners = failed.map { groups[$0]![0] }
            let rows = try query(
                Self.lookupBatch,
                [
                    pool, SQLText.array(failedPicks.map { $0.ip.description }),
                    SQLText.array(owners.map(\.subinstance)), SQLText.array(owners.map(\.resource)),
                ],
                "allocate", deadline)
            var occupied = Set<IPAddress>()
            var existing: [String: SharedIPBinding] = [:]
            for row in rows {
                if let text = row[0], let ip = IPAddress(text) { occupied.insert(ip) }
                if let binding = SharedIPBinding(row: row, pool: pool) {
                    existing[binding.subinstance + "\u{0}" + binding.resource] = binding
                }
            }
            for pick in failedPicks where !occupied.contains(pick.ip) { unmarkLocal(pick.ip) }
            order = []
            for key in failed {
                if let binding = existing[key] {
                    groups[key]?.forEach { $0.reply(.success(binding)) }
                    groups[key] = nil
                } else if without.contains(key) || attempts >= 32 {
                    groups[key]?.forEach { $0.reply(.failure(.pool(.exhausted(pool: pool)))) }
                    groups[key] = nil
                } else {
                    order.append(key)
                }
            }
        }
    }

    /// Gives each key a local address while there are any; returns the keys left without.
    private func assign(_ keys: [String], to picks: inout [(key: String, ip: IPAddress)]) -> [String] {
        var still: [String] = []
        for key in keys {
            if let ip = takeLocal() { picks.append((key, ip)) } else { still.append(key) }
        }
        return still
    }

    /// The lowest free address of this host's blocks, now marked used.
    func takeLocal() -> IPAddress? {
        for block in blocks where !block.isFull {
            if let ip = block.take() { return ip }
        }
        return nil
    }

    func markLocal(_ ip: IPAddress) {
        for block in blocks where block.network.contains(ip) { block.mark(ip) }
    }

    func unmarkLocal(_ ip: IPAddress) {
        for block in blocks where block.network.contains(ip) { block.unmark(ip) }
    }
}
