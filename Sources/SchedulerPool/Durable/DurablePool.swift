#if !hasFeature(Embedded)
    import Synchronization

    /// What a durable pool's journal did since the pool was opened.
    public struct JournalStatistics: Sendable, Hashable {
        /// Records this pool appended (allocations, releases, ranges).
        public let recordsWritten: Int
        /// `fdatasync` calls that made them durable: fewer than records when group commit let
        /// one sync cover the records of several threads.
        public let syncs: Int
    }

    /// Durable pools: state kept in a directory, shared by every process that opens it.
    extension IPPool {
        /// Opens the durable pool `name` in `storageDirectory` (created when missing; its parent
        /// must exist), recovering its state from `<name>.snapshot` and `<name>.journal`, or
        /// creates it empty.
        ///
        /// An allocation or release returns only once its journal record is on disk (`fdatasync`,
        /// shared by all threads waiting at the same moment). Several processes may open the same
        /// directory: each mutation first takes an OFD lock on the journal and replays what the
        /// others appended, so no address is handed out twice. Reads (`binding(for:)`,
        /// `statistics`, ...) answer from memory without the lock; call `synchronize()` first to
        /// see the other processes' latest changes. A torn or corrupt journal tail (a writer
        /// killed mid-write, a damaged disk block) is cut off and listed in `recoveryReport`.
        ///
        /// - Parameters:
        ///   - name: the pool's name, also the stem of its two file names.
        ///   - storageDirectory: the directory that holds the pool's files.
        ///   - quarantine: how long a released address is kept from reuse (default: reusable at once).
        ///     The deadline is stored in the release record, so every process honours the releaser's.
        ///   - compactionBytes: the journal size past which a mutation rewrites the snapshot and
        ///     empties the journal (also waits for the journal to outgrow the last snapshot).
        public convenience init(
            name: String, storageDirectory: String, quarantine: Duration = .zero,
            compactionBytes: Int = 8 << 20
        ) throws(IPPoolError) {
            let storage = try PoolStorage(
                directory: storageDirectory, name: name, quarantine: quarantine,
                compactionBytes: compactionBytes)
            self.init(name: name, storage: storage)
            try storage.open(into: self)
        }

        /// What opening found on disk and every damaged journal tail cut off since; `nil` for an in-memory pool.
        public var recoveryReport: RecoveryReport? {
            guard let storage else { return nil }
            storage.mutation.lock()
            defer { storage.mutation.unlock() }
            return storage.report
        }

        /// The journal file of a durable pool, `nil` for an in-memory pool.
        public var journalPath: String? { storage?.journalPath }

        /// Addresses released but still in quarantine (0 for an in-memory pool).
        public var quarantinedCount: Int {
            guard let storage else { return 0 }
            storage.mutation.lock()
            defer { storage.mutation.unlock() }
            return storage.quarantine.count
        }

        /// Counters of a durable pool's journal since it was opened; `nil` for an in-memory pool.
        public var journalStatistics: JournalStatistics? {
            guard let storage else { return nil }
            return JournalStatistics(
                recordsWritten: storage.recordsWritten.load(ordering: .relaxed), syncs: storage.commit.syncCount)
        }

        /// Brings a durable pool's memory up to date with what other processes wrote; does
        /// nothing for an in-memory pool.
        public func synchronize() throws(IPPoolError) {
            guard let storage else { return }
            try storage.mutate(self) { () throws(IPPoolError) in }
        }

        /// The durable `addRange`: checked, journaled, then applied.
        func durableAddRange(_ network: IPNetwork, _ storage: PoolStorage) throws(IPPoolError) {
            try storage.mutate(self) { () throws(IPPoolError) in
                if let existing = state.withLock({ state in
                    state.ranges.first { $0.network.overlaps(network) }
                }) {
                    // The same range again (a service adding its ranges at every start) is a no-op.
                    if existing.network == network { return }
                    throw IPPoolError.overlappingRange(network, existing: existing.network)
                }
                try storage.append(.addRange(network))
                try applyOwn(.addRange(network), storage)
            }
        }

        /// The durable `allocate(subinstance:resource:type:)`: allocated in memory, journaled
        /// (undone if the journal cannot be written), synced.
        func durableAllocate(
            subinstance: String, resource: String, type: ResourceType, _ storage: PoolStorage
        )
            throws(IPPoolError) -> IPAddress
        {
            try storage.mutate(self) { () throws(IPPoolError) -> IPAddress in
                if let held = state.withLock({ $0.holding(subinstance: subinstance, resource: resource) }) {
                    return held.ip
                }
                let ip = try allocateInMemory(subinstance: subinstance, resource: resource, type: type)
                try journalAllocation(ip, storage)
                return ip
            }
        }

        /// The durable `allocate(_:subinstance:resource:type:)`; refuses a quarantined address.
        func durableAllocate(
            _ ip: IPAddress, subinstance: String, resource: String, type: ResourceType,
            _ storage: PoolStorage
        ) throws(IPPoolError) -> IPAddress {
            try storage.mutate(self) { () throws(IPPoolError) -> IPAddress in
                if let deadline = storage.quarantine.deadlines[ip] {
                    let remaining = max(1, deadline - StorageFile.now())
                    throw IPPoolError.addressQuarantined(
                        ip, untilNanoseconds: deadline, remainingNanoseconds: remaining)
                }
                if state.withLock({ $0.holding(of: ip) })?.matches(subinstance, resource) == true {
                    return ip
                }
                try allocateInMemory(ip, subinstance: subinstance, resource: resource, type: type)
                try journalAllocation(ip, storage)
                return ip
            }
        }

        /// The durable `release(subinstance:resource:)`: journaled, then applied.
        func durableRelease(subinstance: String, resource: String, _ storage: PoolStorage)
            throws(IPPoolError)
            -> IPAddress
        {
            try storage.mutate(self) { () throws(IPPoolError) -> IPAddress in
                guard
                    let holding = state.withLock({ $0.holding(subinstance: subinstance, resource: resource) })
                else {
                    throw IPPoolError.unknownOwner(subinstance: subinstance, resource: resource)
                }
                try journalRelease(holding.ip, storage)
                return holding.ip
            }
        }

        /// The durable `release(_:)`: journaled, then applied.
        func durableRelease(_ ip: IPAddress, _ storage: PoolStorage) throws(IPPoolError) -> IPBinding {
            try storage.mutate(self) { () throws(IPPoolError) -> IPBinding in
                let (holding, inRange) = state.withLock {
                    ($0.holding(of: ip), $0.rangeIndex(containing: ip) != nil)
                }
                guard let holding else {
                    if !inRange { throw IPPoolError.addressOutsideRanges(ip, pool: name) }
                    throw IPPoolError.unknownBinding(ip)
                }
                try journalRelease(ip, storage)
                return IPBinding(
                    ip: ip, subinstance: holding.subinstance, resource: holding.resource, type: holding.type,
                    pool: name, generation: holding.generation, issuer: self)
            }
        }

        /// Journals an allocation already made in memory; undoes it when the write fails.
        private func journalAllocation(_ ip: IPAddress, _ storage: PoolStorage) throws(IPPoolError) {
            let holding = state.withLock { $0.holding(of: ip) }!
            let record = JournalRecord.allocate(
                ip, subinstance: holding.subinstance, resource: holding.resource, type: holding.type,
                generation: holding.generation)
            do {
                try storage.append(record)
            } catch {
                try? applyOwn(.release(ip, reusableAt: 0), storage)
                throw error
            }
        }

        /// Journals the release of `ip`, then applies it (into quarantine when one is configured).
        private func journalRelease(_ ip: IPAddress, _ storage: PoolStorage) throws(IPPoolError) {
            let record = JournalRecord.release(ip, reusableAt: storage.releaseDeadline())
            try storage.append(record)
            try applyOwn(record, storage)
        }

        /// Applies a record this process wrote; it was checked first, so a refusal is a bug.
        private func applyOwn(_ record: JournalRecord, _ storage: PoolStorage) throws(IPPoolError) {
            let now = StorageFile.now()
            let refusal = state.withLock { $0.replay(record, quarantine: &storage.quarantine, now: now) }
            if let refusal { preconditionFailure("durable pool: own journal record refused: " + refusal) }
        }
    }

    extension Holding {
        /// True when the holding belongs to the owner.
        func matches(_ subinstance: String, _ resource: String) -> Bool {
            self.subinstance == subinstance && self.resource == resource
        }
    }
#endif
