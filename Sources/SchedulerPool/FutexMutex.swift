import CSchedulerAllocator

/// The library's lock for state shared between threads: a plain futex mutex (cschedlock.h)
/// with the API of `Synchronization.Mutex`, which it replaces on every hot path.
///
/// `Synchronization.Mutex` is a priority-inheriting futex on Linux: each contended release hands
/// the lock to a sleeper through the kernel, so with more threads than cores every operation
/// waits for a context switch (one in-memory pool fell from 8 M to 0.08 M operations/s at 8
/// threads on 2 cores; `make bench-pool` shows the table). This lock lets whichever thread runs
/// take a released lock, spins briefly before sleeping, and wakes a sleeper only when there is
/// one. It keeps the word and the value in one allocation of their own, so a `FutexMutex`
/// stored in a class or a struct has a stable address; on wasm32 (one thread) it only marks.
@_spi(SchedulerInternals)
public struct FutexMutex<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    /// The lock word (0 free, 1 held, 2 held with sleepers), at the start of the allocation.
    @usableFromInline let word: UnsafeMutablePointer<UInt32>
    /// The protected value, after the word in the same allocation.
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// Where the value starts in the allocation: after the word, at the value's alignment.
    @usableFromInline static var valueOffset: Int {
        max(MemoryLayout<UInt32>.stride, MemoryLayout<Value>.alignment)
    }

    /// Creates a free lock holding `initialValue`.
    public init(_ initialValue: consuming sending Value) {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Self.valueOffset + MemoryLayout<Value>.size,
            alignment: max(MemoryLayout<UInt32>.alignment, MemoryLayout<Value>.alignment))
        word = raw.initializeMemory(as: UInt32.self, repeating: 0, count: 1)
        value = (raw + Self.valueOffset).bindMemory(to: Value.self, capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        UnsafeMutableRawPointer(word).deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    @inlinable @inline(__always)
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        cschedlock_lock(word)
        defer { cschedlock_unlock(word) }
        return try body(&value.pointee)
    }

    /// Runs `body` with exclusive access if the lock is free now; `nil` without running it if not.
    @inlinable @inline(__always)
    public borrowing func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        guard cschedlock_try(word) != 0 else { return nil }
        defer { cschedlock_unlock(word) }
        return try body(&value.pointee)
    }
}
