/// A task waiting in `recv` (for an array of at most `limit` bytes) or in `recvBuffer`.
struct ReceiveWaiter {
    /// What the waiting task gets.
    enum Kind {
        case bytes(UnsafeContinuation<[UInt8], any Error>, limit: Int)
        case buffer(UnsafeContinuation<BufferHandle?, any Error>)
    }

    let kind: Kind
    /// The waiter is the task of ``ConnectionCore/coveredTask``, whose cancellation
    /// `runCovered` watches.
    let covered: Bool

    func resume(throwing error: any Error) {
        switch kind {
        case .bytes(let continuation, _): continuation.resume(throwing: error)
        case .buffer(let continuation): continuation.resume(throwing: error)
        }
    }

    /// Resumes with end of stream.
    func resumeEnded() {
        switch kind {
        case .bytes(let continuation, _): continuation.resume(returning: [])
        case .buffer(let continuation): continuation.resume(returning: nil)
        }
    }
}
