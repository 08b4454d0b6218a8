import SchedulerPool

/// Blocks: claiming (or taking over after the lease), reloading, borrowing from other hosts.
extension PoolWorker {
    /// Reads the pool's settings and ranges; throws `.unknownPool` when it has no row.
    func loadPool(_ deadline: ContinuousClock.Instant) throws(SharedPoolError) {
        let rows = try query(
            "SELECT block_v4, block_v6, quarantine_ms FROM ippool_pools WHERE name = $1", [pool], "open pool", deadline)
        guard let row = rows.first, let v4 = row[0].flatMap({ Int($0) }), let v6 = row[1].flatMap({ Int($0) }),
            let quarantine = row[2].flatMap({ Int64($0) })
        else { throw .unknownPool(pool) }
        blockPrefixV4 = v4
        blockPrefixV6 = v6
        quarantineMilliseconds = quarantine
        try loadRanges(deadline)
    }

    func loadRanges(_ deadline: ContinuousClock.Instant) throws(SharedPoolError) {
        let rows = try query(
            "SELECT cidr::text FROM ippool_ranges WHERE pool = $1 ORDER BY seq", [pool], "read ranges", deadline)
        ranges = rows.compactMap { IPNetwork.parse($0[0]) }
    }

    /// The range holding `ip` (ranges reread once when none does).
    func range(containing ip: IPAddress, _ deadline: ContinuousClock.Instant) throws(SharedPoolError) -> IPNetwork? {
        if let range = ranges.first(where: { $0.contains(ip) }) { return range }
        try loadRanges(deadline)
        return ranges.first { $0.contains(ip) }
    }

    /// Rebuilds this host's bitmaps from the database (addresses other hosts released become free;
    /// expired quarantines are purged first) and picks up blocks it owns from an earlier run.
    func refreshBlocks(_ deadline: ContinuousClock.Instant) throws(SharedPoolError) {
        _ = try query(
            "DELETE FROM ippool_allocations WHERE pool = $1 AND quarantine_until <= now()", [pool], "purge quarantine",
            deadline)
        let owned = try query(
            "UPDATE ippool_blocks SET lease_until = now() + $3::interval WHERE pool = $1 AND host = $2 RETURNING cidr::text",
            [pool, options.host, SQLText.interval(options.lease)], "renew leases", deadline
        ).compactMap { IPNetwork.parse($0[0]) }.sorted { $0.address < $1.address }
        if owned.contains(where: { block in !ranges.contains { $0.contains(block.address) } }) {
            try loadRanges(deadline)
        }
        var fresh: [OwnedBlock] = []
        for network in owned {
            guard let range = ranges.first(where: { $0.contains(network.address) }) else { continue }
            fresh.append(try OwnedBlock(network: network, range: range))
        }
        blocks = fresh
        guard !owned.isEmpty else { return }
        let rows = try query(
            "SELECT host(address) FROM ippool_allocations WHERE pool = $1 AND address <<= ANY($2::cidr[])",
            [pool, SQLText.array(owned.map(\.description))], "read blocks", deadline)
        for row in rows {
            if let ip = row[0].flatMap({ IPAddress($0) }) { markLocal(ip) }
        }
    }

    /// Claims the first free block of the pool for this host, or else takes over a block whose
    /// lease ran out; false when every block is claimed and alive. One transaction, under the
    /// pool row's lock, so two hosts never claim the same block.
    func claimBlock(_ deadline: ContinuousClock.Instant) throws(SharedPoolError) -> Bool {
        let claimed: (IPNetwork, IPNetwork, [[String?]])? = try transaction("claim block", deadline) {
            () throws(SharedPoolError) in
            _ = try query("SELECT 1 FROM ippool_pools WHERE name = $1 FOR UPDATE", [pool], "claim block", deadline)
            try loadRanges(deadline)
            let rows = try query(
                "SELECT cidr::text, host, lease_until < now() FROM ippool_blocks WHERE pool = $1", [pool],
                "claim block",
                deadline)
            let lease = SQLText.interval(options.lease)
            var chosen: (IPNetwork, IPNetwork)? = nil
            if let (block, range) = BlockChooser.firstFree(
                ranges: ranges, claimed: rows.compactMap { IPNetwork.parse($0[0]) }, v4: blockPrefixV4,
                v6: blockPrefixV6)
            {
                _ = try query(
                    "INSERT INTO ippool_blocks (pool, cidr, host, lease_until) VALUES ($1, $2::cidr, $3, now() + $4::interval)",
                    [pool, block.description, options.host, lease], "claim block", deadline)
                chosen = (block, range)
            } else {
                for row in rows where row[2] == "t" && row[1] != options.host {
                    guard let block = IPNetwork.parse(row[0]),
                        let range = ranges.first(where: { $0.contains(block.address) })
                    else { continue }
                    _ = try query(
                        "UPDATE ippool_blocks SET host = $3, lease_until = now() + $4::interval WHERE pool = $1 AND cidr = $2::cidr",
                        [pool, block.description, options.host, lease], "take over block", deadline)
                    chosen = (block, range)
                    break
                }
            }
            guard let (block, range) = chosen else { return nil }
            // What the block already holds: explicit allocations, borrowers, a dead host's owners.
            _ = try query(
                "DELETE FROM ippool_allocations WHERE pool = $1 AND address <<= $2::cidr AND quarantine_until <= now()",
                [pool, block.description], "purge quarantine", deadline)
            let used = try query(
                "SELECT host(address) FROM ippool_allocations WHERE pool = $1 AND address <<= $2::cidr",
                [pool, block.description], "read block", deadline)
            return (block, range, used)
        }
        guard let (network, range, used) = claimed else { return false }
        count { $0.claims += 1 }
        let block = try OwnedBlock(network: network, range: range)
        blocks.append(block)
        for row in used {
            if let ip = row[0].flatMap({ IPAddress($0) }) { block.mark(ip) }
        }
        return true
    }

    /// Up to `count` free addresses in other hosts' blocks (used only when no block is left).
    func borrow(_ count: Int, _ deadline: ContinuousClock.Instant) throws(SharedPoolError) -> [IPAddress] {
        let rows = try query(
            "SELECT cidr::text FROM ippool_blocks WHERE pool = $1 AND host <> $2 ORDER BY cidr", [pool, options.host],
            "borrow", deadline)
        var found: [IPAddress] = []
        for row in rows {
            guard found.count < count, let network = IPNetwork.parse(row[0]),
                let range = ranges.first(where: { $0.contains(network.address) })
            else { continue }
            let scratch = try OwnedBlock(network: network, range: range)
            let used = try query(
                "SELECT host(address) FROM ippool_allocations WHERE pool = $1 AND address <<= $2::cidr",
                [pool, network.description], "borrow", deadline)
            for usedRow in used {
                if let ip = usedRow[0].flatMap({ IPAddress($0) }) { scratch.mark(ip) }
            }
            while found.count < count, let ip = scratch.take() { found.append(ip) }
        }
        return found
    }
}
