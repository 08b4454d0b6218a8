/// A task waiting in `recv` (for an array of at most `limit` bytes) or in `recvBuffer`, or a
/// parked connection's callback (`readable`: no task waits, the bytes stay queued).
struct ReceiveWaiter {
    /// What the waiting task gets.
    enum Kind {
        case bytes(UnsafeContinuation<[UInt8], any Error>, limit: Int)
        case buffer(UnsafeContinuation<BufferHandle?, any Error>)
        case readable(@Sendable () -> Void)
    }

    let kind: Kind
    /// The waiter is the task of ``ConnectionCore/coveredTask``, whose cancellation
    /// `runCovered` watches.
    let covered: Bool
    /// ``ConnectionCore/park(onReadable:)`` may take this waiter's place.
    var parkable = false

    func resume(throwing error: any Error) {
        switch kind {
        case .bytes(let continuation, _): continuation.resume(throwing: error)
        case .buffer(let continuation): continuation.resume(throwing: error)
        case .readable(let callback): callback()
        }
    }

    /// Resumes with end of stream.
    func resumeEnded() {
        switch kind {
        case .bytes(let continuation, _): continuation.resume(returning: [])
        case .buffer(let continuation): continuation.resume(returning: nil)
        case .readable(let callback): callback()
        }
    }
}
