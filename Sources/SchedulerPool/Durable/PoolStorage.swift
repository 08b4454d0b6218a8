#if !hasFeature(Embedded)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif
    import Synchronization

    /// The directory storage of a durable pool: `<name>.journal` and `<name>.snapshot`.
    ///
    /// The journal starts with a 16-byte header (`IPPJRNL1`, the compaction epoch) followed by
    /// framed `JournalRecord`s. A snapshot (`IPPSNAP1`, epoch, payload length, CRC-32C, payload)
    /// holds the state that the journals of all earlier epochs built. Compaction writes the
    /// snapshot of epoch e+1 to a temporary file, syncs it, renames it over the old one, syncs the
    /// directory, then cuts the journal to its header and writes epoch e+1 into it: a crash at
    /// any point leaves either the old snapshot with its whole journal, or the new snapshot with
    /// a journal of an older epoch, which opening recognises and empties.
    ///
    /// Every mutation runs under `mutation` (threads of this process) and an OFD lock on the
    /// journal (other processes), first replaying the records other processes appended since
    /// this one last read (`catchUp`), then appending its own; the fsync happens after both
    /// locks are released, shared by every thread waiting at that moment (`GroupCommit`).
    final class PoolStorage: @unchecked Sendable {
        let directory: String
        let journalPath: String
        let snapshotPath: String
        /// The journal, open read-write for the life of the pool; closed by `deinit` only.
        let fd: Int32
        /// How long a released address stays out of use, in nanoseconds.
        let quarantineNanoseconds: Int64
        /// Journal bytes past which a mutation compacts the journal into a snapshot.
        let compactionBytes: Int64
        let mutation = MutationLock()
        let commit = GroupCommit()

        // Guarded by `mutation`.
        /// The epoch of the journal records `applied` counts in.
        private var epoch: UInt64 = 0
        /// The journal offset up to which records are in the pool's memory.
        private var applied: Int64 = 0
        /// The size of the last snapshot written or read (compaction waits for the journal to outgrow it).
        private var snapshotBytes: Int64 = 0
        var quarantine = Quarantine()
        var report = RecoveryReport()
        /// True while this process holds the OFD lock (between mutations handed over, see `mutate`).
        private var holdsFileLock = false
        /// Consecutive mutations that inherited the lock without releasing it.
        private var handovers = 0
        /// At most this many mutations in a row keep the lock from other processes.
        static let maximumHandovers = 64
        /// Threads waiting for `mutation` (read without it, to decide a handover).
        private let queued = Atomic<Int>(0)
        /// Records this process appended (for `JournalStatistics`).
        let recordsWritten = Atomic<Int>(0)

        static let headerBytes: Int64 = 16
        /// The epoch after a compaction failed half-way: no journal has it, so the next catch-up reloads.
        static let unknownEpoch = UInt64.max
        static let journalMagic: [UInt8] = Array("IPPJRNL1".utf8)
        static let snapshotMagic: [UInt8] = Array("IPPSNAP1".utf8)

        /// Opens (creating them when missing) the directory and the journal of pool `name`.
        init(directory: String, name: String, quarantine: Duration, compactionBytes: Int)
            throws(IPPoolError)
        {
            let utf8 = Array(name.utf8)
            guard !utf8.isEmpty, utf8.count <= 200, name != ".", name != "..",
                !utf8.contains(UInt8(ascii: "/")), !utf8.contains(0)
            else { throw IPPoolError.invalidPoolName(name) }
            let (seconds, attoseconds) = quarantine.components
            guard seconds >= 0, attoseconds >= 0, seconds < Int64.max / 1_000_000_000 else {
                throw IPPoolError.storage(
                    operation: .checkQuarantine, path: directory, errno: .invalidArgument)
            }
            quarantineNanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            self.compactionBytes = Int64(max(compactionBytes, 4096))
            self.directory = directory
            let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            journalPath = base + ".journal"
            snapshotPath = base + ".snapshot"
            try StorageFile.makeDirectory(directory)
            fd = try StorageFile.open(journalPath)
        }

        deinit { close(fd) }

        /// Loads the pool's state from disk, creating the journal header of a new pool.
        func open(into pool: IPPool) throws(IPPoolError) {
            mutation.lock()
            defer { mutation.unlock() }
            try StorageFile.lock(fd, journalPath)
            defer { StorageFile.unlock(fd, journalPath) }
            try reload(pool)
        }

        /// Runs a mutation of `pool` with this process's and the other processes' writers shut
        /// out and the state caught up with the journal, then waits until what it wrote is on disk.
        func mutate<Result>(_ pool: IPPool, _ body: () throws(IPPoolError) -> Result)
            throws(IPPoolError) -> Result
        {
            let result: Result
            let number: UInt64
            do {
                queued.add(1, ordering: .relaxed)
                mutation.lock()
                queued.subtract(1, ordering: .relaxed)
                defer {
                    handOverOrUnlockFile()
                    mutation.unlock()
                }
                if !holdsFileLock {
                    try StorageFile.lock(fd, journalPath)
                    holdsFileLock = true
                    handovers = 0
                    // Other processes may have written while the lock was not ours.
                    try catchUpOrUnlock(pool)
                } else if epoch == Self.unknownEpoch {
                    try catchUpOrUnlock(pool)  // a failed compaction left the journal to be checked again
                }
                if !quarantine.isEmpty {
                    let now = StorageFile.now()
                    pool.state.withLock { $0.expire(&quarantine, now: now) }
                }
                result = try body()
                number = commit.written.load(ordering: .acquiring)
                compactIfDue(pool)
            }
            try commit.sync(upTo: number, fd: fd, path: journalPath)
            return result
        }

        /// Catches up; on failure gives the lock back, so that no thread inherits it with the
        /// state behind the journal (it would append over other processes' records).
        private func catchUpOrUnlock(_ pool: IPPool) throws(IPPoolError) {
            do {
                try catchUp(pool)
            } catch {
                StorageFile.unlock(fd, journalPath)
                holdsFileLock = false
                throw error
            }
        }

        /// Ends a mutation's hold on the journal lock: a thread of this process waiting for
        /// `mutation` inherits the OFD lock (and so needs no catch-up: no other process can
        /// have written meanwhile), up to `maximumHandovers` times in a row so that other
        /// processes are not starved; otherwise the lock is released.
        private func handOverOrUnlockFile() {
            guard holdsFileLock else { return }
            if queued.load(ordering: .relaxed) > 0 && handovers < Self.maximumHandovers {
                handovers += 1
            } else {
                StorageFile.unlock(fd, journalPath)
                holdsFileLock = false
            }
        }

        /// Appends one record at the end of the journal (call inside `mutate`'s body).
        func append(_ record: JournalRecord) throws(IPPoolError) {
            let bytes = record.encoded
            do {
                try StorageFile.write(fd, journalPath, bytes, at: applied)
            } catch {
                // A short write (ENOSPC, EIO) may have left part of the record: cut it off.
                try? StorageFile.truncate(fd, journalPath, to: applied)
                throw error
            }
            applied += Int64(bytes.count)
            recordsWritten.add(1, ordering: .relaxed)
            _ = commit.recordWritten()
        }

        /// The deadline a release made now gets.
        func releaseDeadline() -> Int64 {
            quarantineNanoseconds == 0 ? 0 : StorageFile.now() + quarantineNanoseconds
        }

        /// Replays what other processes appended since this one last read; reloads everything
        /// when another process compacted the journal meanwhile.
        private func catchUp(_ pool: IPPool) throws(IPPoolError) {
            let header = try StorageFile.read(fd, journalPath, at: 0, count: Int(Self.headerBytes))
            let size = try StorageFile.size(fd, journalPath)
            guard let journalEpoch = Self.epoch(ofJournalHeader: header), journalEpoch == epoch,
                size >= applied
            else {
                try reload(pool)
                _ = commit.recordWritten()  // make the next sync cover what was read
                return
            }
            guard size > applied else { return }
            let replayed = try replayJournal(pool, size: size, now: StorageFile.now())
            if replayed > 0 { _ = commit.recordWritten() }
        }

        /// Replays the journal from `applied` to `size`; cuts off a torn or corrupt tail.
        private func replayJournal(_ pool: IPPool, size: Int64, now: Int64) throws(IPPoolError) -> Int {
            let bytes = try StorageFile.read(fd, journalPath, at: applied, count: Int(size - applied))
            var position = 0
            var replayed = 0
            var damage: String? = nil
            while position < bytes.count {
                switch JournalRecord.decode(bytes[position...]) {
                case .record(let record, let length):
                    let refusal = pool.state.withLock { $0.replay(record, quarantine: &quarantine, now: now) }
                    if let refusal {
                        // The records before it are in memory: count them, stop at this one (every
                        // later catch-up stops here again: the pool refuses to guess past it).
                        applied += Int64(position)
                        throw IPPoolError.corruptStorage(
                            path: journalPath, offset: applied, reason: "record refused: " + refusal)
                    }
                    position += length
                    replayed += 1
                case .torn:
                    damage = "torn record (the file ends inside it)"
                case .corrupt(let reason):
                    damage = reason
                }
                if damage != nil { break }
            }
            if let damage {
                // Writers hold the lock we hold: these bytes belong to a writer that died mid-write.
                let offset = applied + Int64(position)
                try StorageFile.truncate(fd, journalPath, to: offset)
                report.discardedTails.append(
                    DiscardedTail(path: journalPath, offset: offset, bytes: size - offset, reason: damage))
            }
            applied += Int64(position)
            return replayed
        }

        /// Rebuilds the pool's state from the snapshot and the journal (under both locks).
        private func reload(_ pool: IPPool) throws(IPPoolError) {
            let now = StorageFile.now()
            quarantine = Quarantine()
            var snapshotEpoch: UInt64 = 0
            var bindings = 0
            snapshotBytes = 0
            let snapshot = try readSnapshot()
            if let snapshot {
                snapshotEpoch = snapshot.epoch
                snapshotBytes = Int64(snapshot.payload.count)
            }
            let header = try StorageFile.read(fd, journalPath, at: 0, count: Int(Self.headerBytes))
            let journalEpoch = Self.epoch(ofJournalHeader: header)
            if let journalEpoch, journalEpoch > snapshotEpoch {
                throw IPPoolError.corruptStorage(
                    path: snapshotPath, offset: 0,
                    reason: "the journal is of a later epoch than the snapshot (snapshot lost)")
            }
            if journalEpoch != snapshotEpoch {
                // A new pool, a header torn while it was created, or a compaction that stopped
                // after renaming its snapshot: everything the journal held is in the snapshot.
                if journalEpoch == nil && header.count == Int(Self.headerBytes) {
                    throw IPPoolError.corruptStorage(
                        path: journalPath, offset: 0, reason: "not a pool journal (bad magic)")
                }
                try resetJournal(epoch: snapshotEpoch)
            }
            // The state is rebuilt inside the lock: readers see the old state or the new one.
            let restored = pool.state.withLock { state -> Bool in
                guard let snapshot else {
                    state = PoolState()
                    return true
                }
                var fresh = PoolState()
                guard let count = fresh.restore(snapshot: snapshot.payload, quarantine: &quarantine, now: now)
                else { return false }
                state = fresh
                bindings = count
                return true
            }
            guard restored else {
                throw IPPoolError.corruptStorage(
                    path: snapshotPath, offset: 0, reason: "snapshot contents do not parse")
            }
            epoch = snapshotEpoch
            applied = Self.headerBytes
            report = RecoveryReport(snapshotEpoch: snapshotEpoch, snapshotBindings: bindings)
            let size = try StorageFile.size(fd, journalPath)
            report.replayedRecords = try replayJournal(pool, size: size, now: now)
        }

        /// Cuts the journal to an empty one of `epoch` and syncs it.
        private func resetJournal(epoch: UInt64) throws(IPPoolError) {
            try StorageFile.truncate(fd, journalPath, to: 0)
            var writer = ByteWriter()
            writer.bytes = Self.journalMagic
            writer.u64(epoch)
            try StorageFile.write(fd, journalPath, writer.bytes, at: 0)
            try StorageFile.sync(fd, journalPath)
            try StorageFile.syncDirectory(directory)
        }

        /// The epoch in a journal header, or `nil` when it is not one.
        private static func epoch(ofJournalHeader header: [UInt8]) -> UInt64? {
            guard header.count == Int(headerBytes), Array(header[0..<8]) == journalMagic else {
                return nil
            }
            var reader = ByteReader(header[8...])
            return reader.u64()
        }

        /// The snapshot's epoch and payload, `nil` when there is none; throws when it is damaged
        /// (a snapshot is written whole and renamed into place, so damage is not a torn write).
        private func readSnapshot() throws(IPPoolError) -> (epoch: UInt64, payload: ArraySlice<UInt8>)? {
            guard let snapshotFD = try StorageFile.openIfPresent(snapshotPath) else { return nil }
            defer { close(snapshotFD) }
            let size = try StorageFile.size(snapshotFD, snapshotPath)
            let bytes = try StorageFile.read(snapshotFD, snapshotPath, at: 0, count: Int(size))
            var reader = ByteReader(bytes[...])
            guard bytes.count >= 28, Array(bytes[0..<8]) == Self.snapshotMagic else {
                throw IPPoolError.corruptStorage(
                    path: snapshotPath, offset: 0, reason: "not a pool snapshot (bad magic)")
            }
            reader.position = 8
            guard let epoch = reader.u64(), let length = reader.u64(), let checksum = reader.u32(),
                length == UInt64(bytes.count - 28)
            else {
                throw IPPoolError.corruptStorage(
                    path: snapshotPath, offset: 16, reason: "snapshot length does not match")
            }
            let payload = bytes[28...]
            guard CRC32C.checksum(payload) == checksum else {
                throw IPPoolError.corruptStorage(
                    path: snapshotPath, offset: 28, reason: "snapshot checksum mismatch")
            }
            return (epoch, payload)
        }

        /// Compacts the journal into a snapshot once it outgrows `compactionBytes` and the last
        /// snapshot. A failure leaves the journal as it was (still correct) and is retried later.
        private func compactIfDue(_ pool: IPPool) {
            let journalBytes = applied - Self.headerBytes
            guard journalBytes > compactionBytes, journalBytes > snapshotBytes else { return }
            let payload = pool.state.withLock { $0.snapshotPayload(quarantine) }
            var writer = ByteWriter()
            writer.bytes = Self.snapshotMagic
            writer.u64(epoch + 1)
            writer.u64(UInt64(payload.count))
            writer.u32(payload.withUnsafeBytes { CRC32C.checksum($0) })
            writer.bytes.append(contentsOf: payload)
            let temporary = snapshotPath + ".tmp"
            do {
                let snapshotFD = try StorageFile.retrying(.open, temporary) {
                    Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                }
                defer { close(snapshotFD) }
                try StorageFile.write(snapshotFD, temporary, writer.bytes, at: 0)
                try StorageFile.sync(snapshotFD, temporary)
                try StorageFile.rename(temporary, to: snapshotPath)
                try StorageFile.syncDirectory(directory)
            } catch {
                snapshotBytes = max(snapshotBytes, journalBytes)  // try again when the journal has doubled
                return
            }
            // The snapshot is durable: every record appended so far is safe whatever happens next.
            commit.markDurable()
            snapshotBytes = Int64(payload.count)
            do {
                try resetJournal(epoch: epoch + 1)
                epoch += 1
                applied = Self.headerBytes
            } catch {
                // The journal is of the old epoch with the new snapshot in place: the next
                // `catchUp` sees the mismatch and reloads, which resets the journal again.
                epoch = Self.unknownEpoch
            }
        }
    }
#endif
