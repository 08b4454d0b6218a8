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
        /// Threads inside a durable mutation, from its start until its sync returns.
        let active = Atomic<Int>(0)
        /// Threads inside `sync(upTo:)`.
        private let arrived = Atomic<Int>(0)
        /// How long a sync leader waits at most for active threads to write their records, in nanoseconds.
        static let gatherNanoseconds: Int64 = 200_000
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        // Guarded by `mutex`.
        private var durable: UInt64 = 0
        private var syncing = false
        private var failure: IPPoolError?

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
            arrived.add(1, ordering: .relaxed)
            pthread_mutex_lock(mutex)
            defer {
                pthread_mutex_unlock(mutex)
                arrived.subtract(1, ordering: .relaxed)
            }
            while durable < number {
                if let failure { throw failure }
                if syncing {
                    pthread_cond_wait(condition, mutex)
                    continue
                }
                syncing = true
                pthread_mutex_unlock(mutex)
                gatherWriters()
                let target = written.load(ordering: .acquiring)
                var outcome: IPPoolError? = nil
                do { try StorageFile.sync(fd, path) } catch { outcome = error }
                pthread_mutex_lock(mutex)
                syncing = false
                if let outcome { failure = outcome } else { durable = max(durable, target) }
                pthread_cond_broadcast(condition)
            }
        }

        /// Lets threads that are inside a mutation but not yet waiting for a sync write their
        /// record first, so that this sync covers them too (a commit delay, bounded by
        /// `gatherNanoseconds`). With one thread nobody else is active and nothing is waited for;
        /// with many, the threads the previous sync released would otherwise miss this one and
        /// wait a whole extra sync.
        private func gatherWriters() {
            guard active.load(ordering: .relaxed) > arrived.load(ordering: .relaxed) else { return }
            let deadline = StorageFile.monotonicNow() + Self.gatherNanoseconds
            while active.load(ordering: .relaxed) > arrived.load(ordering: .relaxed)
                && StorageFile.monotonicNow() < deadline
            {
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
