// Compiled into SchedulerPool only by wasm/build.sh, and only when the pool's sources use
// `Mutex`: the Embedded Swift stdlib for wasm32 has no `Synchronization.Mutex`, and a
// wasm32-wasip1 program has exactly one thread (WASI preview 1 cannot start another), so
// exclusive access holds without a lock. The API mirrors `Synchronization.Mutex`.

/// A single-threaded stand-in for `Synchronization.Mutex` in the wasm32 build.
struct Mutex<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    private let storage: SingleThreadedMutexStorage<Value>

    /// Creates a mutex that holds `initialValue`.
    init(_ initialValue: consuming sending Value) {
        storage = SingleThreadedMutexStorage(initialValue)
    }

    /// Runs `body` with exclusive access to the value (the only thread has it).
    borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try body(&storage.value)
    }

    /// Runs `body` with exclusive access to the value; never unavailable with one thread.
    borrowing func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        try body(&storage.value)
    }
}

/// The box that gives the noncopyable `Mutex` its interior mutability.
private final class SingleThreadedMutexStorage<Value: ~Copyable> {
    var value: Value

    init(_ value: consuming Value) {
        self.value = value
    }
}
