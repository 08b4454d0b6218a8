#if !hasFeature(Embedded)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif
    import Synchronization

    /// Group commit: one `fdatasync` makes every record written before it durable, so threads
    /// that append while a sync runs wait for the next one together instead of each paying a sync.
    ///
    /// Records are numbered by `written` (a count bumped after each append, under the pool's
    /// mutation lock); `sync(upTo:)` returns once a sync that started after record `n` was
    /// written has finished. The first thread to find no sync running leads the next one; the
    /// others sleep on a condition variable. A failed sync is final: fsync errors are not
    /// retried (the kernel may already have dropped the dirty pages), every later sync throws.
    final class GroupCommit: @unchecked Sendable {
        /// The number of the last record appended (and of foreign records seen, see `PoolStorage`).
        let written = Atomic<UInt64>(0)
        /// How long the last `fdatasync` took: a sync leader waits at most half of it (and at
        /// most `maximumGatherNanoseconds`) for active threads to write their records, since a
        /// thread that misses this sync waits for the whole next one.
        private let lastSyncNanoseconds = Atomic<Int64>(100_000)
        static let maximumGatherNanoseconds: Int64 = 1_000_000
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        // Guarded by `mutex`.
        private var durable: UInt64 = 0
        private var syncing = false
        private var failure: IPPoolError?
        private var syncs = 0
        /// Records the last sync made durable (the batch the next one waits for).
        private var lastBatch: UInt64 = 1

        /// The number of `fdatasync` calls made for records so far.
        var syncCount: Int {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return syncs
        }

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            condition.deallocate()
            mutex.deallocate()
        }

        /// Counts one more record as written (call after the write returned).
        func recordWritten() -> UInt64 {
            written.add(1, ordering: .releasing).newValue
        }

        /// Waits until record `number` is on disk, syncing `fd` if no other thread is.
        func sync(upTo number: UInt64, fd: Int32, path: String) throws(IPPoolError) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while durable < number {
                if let failure { throw failure }
                if syncing {
                    pthread_cond_wait(condition, mutex)
                    continue
                }
                syncing = true
                let before = durable
                pthread_mutex_unlock(mutex)
                gatherWriters(after: before)
                let target = written.load(ordering: .acquiring)
                var outcome: IPPoolError? = nil
                let started = StorageFile.monotonicNow()
                do { try StorageFile.sync(fd, path) } catch { outcome = error }
                lastSyncNanoseconds.store(StorageFile.monotonicNow() - started, ordering: .relaxed)
                pthread_mutex_lock(mutex)
                syncs += 1
                syncing = false
                if let outcome { failure = outcome } else { durable = max(durable, target) }
                lastBatch = max(1, target &- before)
                pthread_cond_broadcast(condition)
            }
        }

        /// Waits, before a sync, until as many records are pending as the last sync covered, or
        /// half the last sync's time has passed (at most `maximumGatherNanoseconds`): a commit
        /// delay that adapts to the number of threads. With one thread the last batch was one
        /// record and nothing is waited for; with eight, the threads the previous sync released
        /// are writing their next records now, and without the wait they would each pay a whole
        /// extra sync.
        private func gatherWriters(after durable: UInt64) {
            let goal = lastBatch
            guard written.load(ordering: .relaxed) &- durable < goal else { return }
            let wait = min(lastSyncNanoseconds.load(ordering: .relaxed) / 2, Self.maximumGatherNanoseconds)
            let deadline = StorageFile.monotonicNow() + wait
            while written.load(ordering: .relaxed) &- durable < goal && StorageFile.monotonicNow() < deadline {
                sched_yield()
            }
        }

        /// Declares everything written so far durable by other means (a synced snapshot).
        func markDurable() {
            pthread_mutex_lock(mutex)
            durable = max(durable, written.load(ordering: .acquiring))
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    /// A plain mutex held across a whole durable mutation (file lock, catch-up, append), which
    /// `Synchronization.Mutex`'s closure form makes awkward with a generic, typed-throws body.
    final class MutationLock: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

        init() { pthread_mutex_init(mutex, nil) }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        func lock() { pthread_mutex_lock(mutex) }
        func unlock() { pthread_mutex_unlock(mutex) }
    }
#endif
