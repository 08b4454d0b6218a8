@_spi(SchedulerInternals) import SchedulerPool
import CSchedulerEngine
import SystemPackage

/// Receiving: chunks from the loop into ``ReceiveQueue``, or straight to a waiting task.
extension ConnectionCore {
    /// What a user's receive does, from ``State/receiveReadiness``.
    enum ReceiveStep {
        case take
        case end
        case fail(ReceiveFailure)
        case wait
    }

    /// Why a user's receive fails without waiting.
    enum ReceiveFailure {
        case failed(Errno)
        case closedLocally
        case busy
    }

    /// The user-side reading of ``State/receiveReadiness``. Inlined into every receive path:
    /// the steps are trivial values, and the error is built only on failure (``receiveError(_:)``).
    @inline(__always)
    func receiveStep(_ state: borrowing State) -> ReceiveStep {
        switch state.receiveReadiness {
        case .buffered: return .take
        case .ended: return .end
        case .empty: return .wait
        case .failed(let code): return .fail(.failed(code))
        case .closedLocally: return .fail(.closedLocally)
        case .busy: return .fail(.busy)
        }
    }

    /// The error a receive ends with for `failure`.
    func receiveError(_ failure: ReceiveFailure) -> EngineError {
        switch failure {
        case .failed(let code): return error(.recv, errno: code)
        case .closedLocally: return error(.recv, reason: "the connection is closed")
        case .busy: return error(.recv, reason: "another recv is already waiting on this connection")
        }
    }

    // MARK: loop-thread callback

    /// A received buffer (now owned here), end of stream (0) or -errno from the loop; returns
    /// true to pause reading.
    func deliver(_ pointer: UnsafeMutablePointer<cse_buffer>?, _ length: Int) -> Bool {
        if let handler { return deliver(to: handler, pointer, length) }
        let handle = pointer.map { BufferHandle(pointer: $0) }
        var wakeBytes: (UnsafeContinuation<[UInt8], any Error>, Result<[UInt8], any Error>)?
        var wakeBuffer: (UnsafeContinuation<BufferHandle?, any Error>, Result<BufferHandle?, any Error>)?
        var wakeParked: (@Sendable () -> Void)?
        var drop: BufferHandle?
        let pause = state.withLock { state -> Bool in
            if state.lifecycle.isClosingOrClosed {
                drop = handle
                return false
            }
            if length > 0, let handle {
                let buffer = handle.pointer
                if let waiter = state.receiveWaiter, state.receive.isEmpty {
                    state.receiveWaiter = nil
                    switch waiter.kind {
                    case .buffer(let continuation):
                        wakeBuffer = (continuation, .success(handle))
                        return false
                    case .bytes(let continuation, let limit):
                        let taken = min(length, limit)
                        wakeBytes = (
                            continuation, .success(Array(UnsafeBufferPointer(start: buffer.pointee.data, count: taken)))
                        )
                        if taken == length {
                            drop = handle
                            return false
                        }
                        buffer.pointee.data += taken
                        buffer.pointee.length -= taken
                    case .readable(let callback):
                        // Parked: the bytes wait in the queue for the task the callback starts.
                        wakeParked = callback
                    }
                }
                state.receive.append(handle)
                publishReceived(state)
                return state.receive.pauseIfFull()
            }
            state.lifecycle.handle(length == 0 ? .peerEnded : .receiveFailed(Errno(rawValue: Int32(-length))))
            // A waiter learns the end now; with bytes still held it takes those first.
            guard let waiter = state.receiveWaiter else { return false }
            let result: Result<Void, EngineError>
            switch receiveStep(state) {
            case .end: result = .success(())
            case .fail(let failure): result = .failure(receiveError(failure))
            case .take, .wait: return false
            }
            state.receiveWaiter = nil
            switch waiter.kind {
            case .bytes(let continuation, _):
                wakeBytes = (continuation, result.map { [] }.mapError { $0 as any Error })
            case .buffer(let continuation):
                wakeBuffer = (continuation, result.map { nil }.mapError { $0 as any Error })
            case .readable(let callback):
                wakeParked = callback
            }
            return false
        }
        if let drop { cse_buffer_release(loop.handle, drop.pointer) }
        if let (continuation, result) = wakeBytes { continuation.resume(with: result) }
        if let (continuation, result) = wakeBuffer { continuation.resume(with: result) }
        wakeParked?()
        return pause
    }

    // MARK: user-side operations

    /// Copies out up to `limit` held bytes (there is at least one).
    @inline(__always)
    private func takeBytes(_ state: inout State, limit: Int) -> [UInt8] {
        let bytes = state.receive.takeBytes(limit: limit, loop: loop.handle)
        publishReceived(state)
        return bytes
    }

    /// Takes the oldest held chunk whole (there is at least one).
    @inline(__always)
    func takeChunk(_ state: inout State) -> BufferHandle {
        let chunk = state.receive.takeChunk()
        publishReceived(state)
        return chunk
    }

    /// What `recv` finds without waiting.
    private enum Immediate {
        case bytes([UInt8], resume: Bool)
        case failure(EngineError)
        case wait
    }

    nonisolated(nonsending) func recv(maxLength: Int) async throws -> [UInt8] {
        guard maxLength > 0 else {
            throw error(.recv, reason: "maxLength must be positive, got \(maxLength)")
        }
        let immediate = state.withLock { state -> Immediate in
            switch receiveStep(state) {
            case .take:
                let bytes = takeBytes(&state, limit: maxLength)
                return .bytes(bytes, resume: state.receive.resumeIfDrained())
            case .end: return .bytes([], resume: false)
            case .fail(let failure): return .failure(receiveError(failure))
            case .wait: return .wait
            }
        }
        switch immediate {
        case .bytes(let bytes, let resume):
            if resume { _ = cse_resume_reading(loop.handle, id) }
            return bytes
        case .failure(let failure):
            throw failure
        case .wait:
            break
        }
        if isCoveredTask() { return try await waitForBytes(maxLength: maxLength, covered: true) }
        return try await withTaskCancellationHandler {
            try await waitForBytes(maxLength: maxLength, covered: false)
        } onCancel: {
            cancelReceiveWaiter(coveredOnly: false)
        }
    }

    private nonisolated(nonsending) func waitForBytes(maxLength: Int, covered: Bool) async throws -> [UInt8] {
        try await withUnsafeThrowingContinuation {
            (continuation: UnsafeContinuation<[UInt8], any Error>) in
            var resume = false
            let early = state.withLock { state -> Result<[UInt8], any Error>? in
                if Task.isCancelled { return .failure(CancellationError()) }
                // Bytes (or the end) may have arrived between the first look and now.
                switch receiveStep(state) {
                case .take:
                    let bytes = takeBytes(&state, limit: maxLength)
                    resume = state.receive.resumeIfDrained()
                    return .success(bytes)
                case .end: return .success([])
                case .fail(let failure): return .failure(receiveError(failure))
                case .wait:
                    state.receiveWaiter = ReceiveWaiter(kind: .bytes(continuation, limit: maxLength), covered: covered)
                    return nil
                }
            }
            if resume { _ = cse_resume_reading(loop.handle, id) }
            if let early { continuation.resume(with: early) }
        }
    }

    /// What `recvBuffer` finds without waiting: a chunk (nil at end of stream) or nothing yet.
    @usableFromInline
    enum ChunkOutcome {
        case ready(BufferHandle?)
        case wait
    }

    /// The next received chunk if one is held, else `.wait`; throws what a receive reports.
    /// `TCPConnection.recvBuffer` waits itself (one async frame fewer per message).
    @usableFromInline
    func chunkIfReady() throws(EngineError) -> ChunkOutcome {
        // Nothing held (the usual case for a request-response handler): straight to waiting,
        // where `awaitChunk` looks again under the lock.
        if receivedHint.load(ordering: .relaxed) == 0 { return .wait }
        var resume = false
        let outcome = try state.withLock { state throws(EngineError) -> ChunkOutcome in
            switch receiveStep(state) {
            case .take:
                let chunk = takeChunk(&state)
                resume = state.receive.resumeIfDrained()
                return .ready(chunk)
            case .end: return .ready(nil)
            case .fail(let failure): throw receiveError(failure)
            case .wait: return .wait
            }
        }
        if resume { _ = cse_resume_reading(loop.handle, id) }
        return outcome
    }

    /// Parks `continuation` for the next chunk, or resumes it at once when one is there (or the
    /// stream has ended, failed or the task is cancelled). `covered`: see ``runCovered(_:)``.
    @usableFromInline
    func awaitChunk(
        _ continuation: UnsafeContinuation<BufferHandle?, any Error>, covered: Bool, parkable: Bool = false
    ) {
        var resume = false
        let early = state.withLock { state -> Result<BufferHandle?, any Error>? in
            if Task.isCancelled { return .failure(CancellationError()) }
            switch receiveStep(state) {
            case .take:
                let chunk = takeChunk(&state)
                resume = state.receive.resumeIfDrained()
                return .success(chunk)
            case .end: return .success(nil)
            case .fail(let failure): return .failure(receiveError(failure))
            case .wait:
                state.receiveWaiter = ReceiveWaiter(kind: .buffer(continuation), covered: covered, parkable: parkable)
                return nil
            }
        }
        if resume { _ = cse_resume_reading(loop.handle, id) }
        if let early { continuation.resume(with: early) }
    }

    /// Waits for the next chunk from a task other than the covered one, with its own
    /// cancellation handler.
    @usableFromInline
    nonisolated(nonsending) func waitForChunkCancellable(parkable: Bool = false) async throws -> BufferHandle? {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { awaitChunk($0, covered: false, parkable: parkable) }
        } onCancel: {
            cancelReceiveWaiter(coveredOnly: false)
        }
    }
}
