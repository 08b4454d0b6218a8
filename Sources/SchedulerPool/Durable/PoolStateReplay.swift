#if !hasFeature(Embedded)
    /// Applying journal records and snapshots to a pool's in-memory state.
    extension PoolState {
        /// Applies one record; returns why it cannot be applied (a record that contradicts the
        /// state is damage the checksum missed, or a bug) and then changes nothing.
        mutating func replay(_ record: JournalRecord, quarantine: inout Quarantine, now: Int64)
            -> String?
        {
            switch record {
            case .addRange(let network):
                if let existing = ranges.first(where: { $0.network.overlaps(network) }) {
                    return "range " + network.description + " overlaps " + existing.network.description
                }
                guard let range = try? PoolRange(network: network) else { return "out of memory" }
                ranges.append(range)
                return nil
            case .allocate(let ip, let subinstance, let resource, let type, let generation):
                guard let index = rangeIndex(containing: ip) else {
                    return ip.description + " is outside every range"
                }
                if holding(of: ip) != nil { return ip.description + " is already allocated" }
                if holding(subinstance: subinstance, resource: resource) != nil {
                    return subinstance + "/" + resource + " already holds an address"
                }
                if generation == 0 { return "generation 0 is never issued" }
                let offset = ranges[index].offset(of: ip)
                // A quarantined address is marked without a slot; it gets this holding's slot now.
                if quarantine.remove(ip) { _ = ranges[index].allocator.unmark(offset) }
                let claimed = try? claim(
                    index, offset: offset, subinstance: subinstance, resource: resource, type: type,
                    generation: generation)
                guard claimed == true else { return ip.description + " is reserved or marked in the allocator" }
                return nil
            case .release(let ip, let reusableAt):
                guard let index = rangeIndex(containing: ip), take(ip) != nil else {
                    return ip.description + " is not allocated"
                }
                let offset = ranges[index].offset(of: ip)
                if reusableAt > now {
                    // Kept marked, without a slot: allocation skips it and `holding(of:)` finds nothing.
                    _ = try? ranges[index].allocator.mark(offset)
                    quarantine.add(ip, until: reusableAt)
                }
                return nil
            }
        }

        /// Frees quarantined addresses whose deadline has passed.
        mutating func expire(_ quarantine: inout Quarantine, now: Int64) {
            for ip in quarantine.expire(now: now) {
                guard let index = rangeIndex(containing: ip) else { continue }
                _ = ranges[index].allocator.unmark(ranges[index].offset(of: ip))
            }
        }

        /// The snapshot payload: next generation, ranges, holdings, quarantine.
        func snapshotPayload(_ quarantine: Quarantine) -> [UInt8] {
            var writer = ByteWriter()
            writer.u64(nextGeneration)
            writer.u32(UInt32(ranges.count))
            for range in ranges {
                writer.address(range.network.address)
                writer.u8(UInt8(range.network.prefixLength))
            }
            let held = holdings.compactMap { $0 }
            writer.u32(UInt32(held.count))
            for holding in held {
                writer.address(holding.ip)
                writer.u64(holding.generation)
                writer.string(holding.subinstance)
                writer.string(holding.resource)
                writer.resourceType(holding.type)
            }
            writer.u32(UInt32(quarantine.deadlines.count))
            for (ip, deadline) in quarantine.deadlines {
                writer.address(ip)
                writer.u64(UInt64(bitPattern: deadline))
            }
            return writer.bytes
        }

        /// Loads a snapshot payload into this fresh state; returns the number of bindings it
        /// held, or `nil` when the payload does not parse or contradicts itself.
        mutating func restore(snapshot payload: ArraySlice<UInt8>, quarantine: inout Quarantine, now: Int64) -> Int? {
            var reader = ByteReader(payload)
            guard let nextGeneration = reader.u64(), let rangeCount = reader.u32() else { return nil }
            for _ in 0..<rangeCount {
                guard let network = reader.network(),
                    replay(.addRange(network), quarantine: &quarantine, now: now) == nil
                else { return nil }
            }
            guard let holdingCount = reader.u32() else { return nil }
            for _ in 0..<holdingCount {
                guard let ip = reader.address(), let generation = reader.u64(),
                    let subinstance = reader.string(),
                    let resource = reader.string(), let type = reader.resourceType()
                else { return nil }
                let record = JournalRecord.allocate(
                    ip, subinstance: subinstance, resource: resource, type: type, generation: generation)
                guard replay(record, quarantine: &quarantine, now: now) == nil else { return nil }
            }
            guard let quarantineCount = reader.u32() else { return nil }
            for _ in 0..<quarantineCount {
                guard let ip = reader.address(), let deadline = reader.u64(),
                    let index = rangeIndex(containing: ip),
                    (try? ranges[index].allocator.mark(ranges[index].offset(of: ip))) == true
                else { return nil }
                quarantine.add(ip, until: Int64(bitPattern: deadline))
            }
            guard reader.isAtEnd else { return nil }
            self.nextGeneration = nextGeneration
            return Int(holdingCount)
        }
    }
#endif
