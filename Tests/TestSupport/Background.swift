import Foundation

/// Runs `body` on its own thread (blocking socket calls must not tie up the test's executor).
public final class Background<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once on the thread before `finished` is signalled and
    // read only after waiting for it.
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try body() }
            finished.signal()
        }
        thread.start()
    }

    /// Waits for the thread and returns what `body` returned or rethrows what it threw.
    public func value() throws -> Value {
        finished.wait()
        return try result!.get()
    }

    /// Waits at most `seconds` for the thread: what ``value()`` gives, or nil when the thread is
    /// still running (a test then fails instead of hanging, and must unblock the thread itself).
    public func value(within seconds: Double) throws -> Value? {
        guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
        finished.signal()  // a later value() must not block
        return try result!.get()
    }

    /// Waits for the thread like ``value()``, without holding a thread of the caller's executor.
    public func outcome() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try self.value() }) }
        }
    }
}
