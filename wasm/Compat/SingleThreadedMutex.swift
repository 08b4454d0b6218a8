// Compiled into SchedulerPool only by wasm/build.sh, and only when the pool's sources use
// `Mutex`: the Embedded Swift stdlib for wasm32 has no `Synchronization.Mutex`, and a
// wasm32-wasip1 program has exactly one thread (WASI preview 1 cannot start another), so
// exclusive access holds without a lock. The API mirrors `Synchronization.Mutex`.

/// A single-threaded stand-in for `Synchronization.Mutex` in the wasm32 build.
struct Mutex<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    // A pointer rather than a class box: Embedded Swift would specialize a generic class in
    // every client module, which then needs the deinit of a noncopyable `Value` it cannot see.
    private let storage: UnsafeMutablePointer<Value>

    /// Creates a mutex that holds `initialValue`.
    init(_ initialValue: consuming sending Value) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: initialValue)
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Runs `body` with exclusive access to the value (the only thread has it).
    borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try body(&storage.pointee)
    }

    /// Runs `body` with exclusive access to the value; never unavailable with one thread.
    borrowing func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        try body(&storage.pointee)
    }
}
