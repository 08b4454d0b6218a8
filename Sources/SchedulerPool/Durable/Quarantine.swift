#if !hasFeature(Embedded)
    /// Released addresses that may not be handed out before a deadline (CLOCK_REALTIME
    /// nanoseconds, written in the release record so every process agrees on it). A quarantined
    /// address stays marked in its range's allocator, so allocation skips it at no cost.
    struct Quarantine {
        /// The deadline of every quarantined address.
        private(set) var deadlines: [IPAddress: Int64] = [:]
        /// Addresses in the order they were quarantined; entries no longer in `deadlines` are stale.
        private var order: [(ip: IPAddress, deadline: Int64)] = []
        private var head = 0

        var isEmpty: Bool { deadlines.isEmpty }
        var count: Int { deadlines.count }

        mutating func add(_ ip: IPAddress, until deadline: Int64) {
            deadlines[ip] = deadline
            order.append((ip, deadline))
        }

        /// Takes `ip` out of quarantine; false if it was not in it.
        mutating func remove(_ ip: IPAddress) -> Bool {
            deadlines.removeValue(forKey: ip) != nil
        }

        /// Takes out and returns the addresses whose deadline has passed, oldest release first
        /// (an address released with a longer quarantine holds back the ones released after it).
        mutating func expire(now: Int64) -> [IPAddress] {
            var expired: [IPAddress] = []
            while head < order.count, order[head].deadline <= now {
                let entry = order[head]
                head += 1
                if deadlines[entry.ip] == entry.deadline {
                    deadlines[entry.ip] = nil
                    expired.append(entry.ip)
                }
            }
            if head > 1024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            return expired
        }
    }

    /// What opening a durable pool found on disk, and every damaged journal tail discarded since.
    public struct RecoveryReport: Sendable, Hashable {
        /// The compaction epoch of the snapshot read (0: no snapshot yet).
        public var snapshotEpoch: UInt64 = 0
        /// Bindings the snapshot held.
        public var snapshotBindings = 0
        /// Journal records replayed on top of the snapshot when the pool was opened.
        public var replayedRecords = 0
        /// Damaged journal tails (torn or failing their checksum) that were cut off; empty when
        /// the journal was intact.
        public var discardedTails: [DiscardedTail] = []

        /// True when nothing was discarded.
        public var isClean: Bool { discardedTails.isEmpty }
    }

    /// A journal tail that was cut off: where it began, how long it was, and why.
    public struct DiscardedTail: Sendable, Hashable, CustomStringConvertible {
        /// The journal file.
        public let path: String
        /// The offset of the first damaged byte (the journal now ends there).
        public let offset: Int64
        /// How many bytes were cut off.
        public let bytes: Int64
        /// What was wrong: a torn record or a checksum mismatch.
        public let reason: String

        /// `"/dir/pool.journal: discarded 13 bytes at offset 4096: torn record"`.
        public var description: String {
            path + ": discarded " + AddressText.decimal(UInt64(bytes)) + " bytes at offset "
                + AddressText.decimal(UInt64(offset)) + ": " + reason
        }
    }
#endif
