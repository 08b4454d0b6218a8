import CSchedulerEngine
import Synchronization

/// The shared state of one connection: bytes received but not yet read, bytes queued for
/// sending, and the tasks waiting on either. The loop thread feeds it through callbacks; user
/// tasks drain it. The C loop holds one retain on it from accept until `on_closed`.
@usableFromInline
final class ConnectionCore: Sendable {
    /// Receiving pauses above this many buffered bytes and resumes below `receiveLowWater`.
    static let receiveHighWater = 1 << 18
    static let receiveLowWater = 1 << 16
    /// `send` waits while more than this many bytes are queued, until they drop under half.
    static let sendHighWater = 1 << 20

    /// A task waiting in `recv` (for an array of at most `limit` bytes) or in `recvBuffer`.
    enum RecvWaiter {
        case bytes(UnsafeContinuation<[UInt8], any Error>, limit: Int)
        case buffer(UnsafeContinuation<BufferHandle?, any Error>)

        func resume(throwing error: any Error) {
            switch self {
            case .bytes(let continuation, _): continuation.resume(throwing: error)
            case .buffer(let continuation): continuation.resume(throwing: error)
            }
        }

        /// Resumes with end of stream.
        func resumeEnded() {
            switch self {
            case .bytes(let continuation, _): continuation.resume(returning: [])
            case .buffer(let continuation): continuation.resume(returning: nil)
            }
        }
    }

    struct State: ~Copyable {
        /// Received C buffers not yet read, oldest first; each is owned here until taken.
        var received: [BufferHandle] = []
        var receivedHead = 0
        var receivedBytes = 0
        /// Memory the received buffers hold (a lent 64 KiB ring buffer counts fully).
        var receivedFootprint = 0
        /// 0 = open, -1 = end of stream, > 0 = errno of the failed receive.
        var readEnd: Int32 = 0
        var recvWaiter: RecvWaiter?
        /// The waiter is the task of ``coveredTask``, whose cancellation `runCovered` watches.
        var recvWaiterCovered = false
        var paused = false
        var queuedBytes = 0
        var sendErrno: Int32 = 0
        var sendWaiters: [(id: UInt64, continuation: UnsafeContinuation<Void, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        var closeRequested = false
        var closed = false
        var closeWaiters: [UnsafeContinuation<Void, Never>] = []
    }

    let state = Mutex(State())
    /// `receivedBytes` as last published under the lock: a receive that finds 0 here goes
    /// straight to its waiting path (which looks again under the lock) and so takes the lock
    /// once per message instead of twice. A stale value only costs that second look.
    let receivedHint = Atomic<Int>(0)
    /// The task `TCPServer.serve` runs this connection's handler in (its bit pattern), or 0.
    /// Its cancellation is watched once for the whole handler, so the receives it makes skip
    /// installing a cancellation handler each (two status-record updates per message).
    let coveredTask = Atomic<UInt>(0)
    @usableFromInline let loop: EngineLoop
    let id: UInt64
    let peer: String
    /// The callback handler of ``TCPServer/serve(handlers:)`` and whether it was told the end;
    /// touched only on the loop thread (see ConnectionHandlerDelivery.swift).
    nonisolated(unsafe) var handler: (any TCPConnectionHandler)?
    nonisolated(unsafe) var handlerEnded = false
    /// The handler's reading is paused for a send backlog; chunks still arriving wait in `received`.
    nonisolated(unsafe) var handlerPaused = false

    init(loop: EngineLoop, id: UInt64, peer: String) {
        self.loop = loop
        self.id = id
        self.peer = peer
    }

    deinit {
        state.withLock { state in
            for buffer in state.received[state.receivedHead...] {
                cse_buffer_release(loop.handle, buffer.pointer)
            }
            state.received = []
        }
    }

    // MARK: loop-thread callbacks

    /// A received buffer (now owned here), end of stream (0) or -errno from the loop; returns
    /// true to pause reading.
    func deliver(_ pointer: UnsafeMutablePointer<cse_buffer>?, _ length: Int) -> Bool {
        if let handler { return deliver(to: handler, pointer, length) }
        let handle = pointer.map { BufferHandle(pointer: $0) }
        var wakeBytes: (UnsafeContinuation<[UInt8], any Error>, Result<[UInt8], any Error>)?
        var wakeBuffer: (UnsafeContinuation<BufferHandle?, any Error>, Result<BufferHandle?, any Error>)?
        var drop: BufferHandle?
        let pause = state.withLock { state -> Bool in
            if state.closeRequested || state.closed {
                drop = handle
                return false
            }
            if length > 0, let handle {
                let buffer = handle.pointer
                if let waiter = state.recvWaiter, state.receivedBytes == 0 {
                    state.recvWaiter = nil
                    switch waiter {
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
                    }
                }
                state.received.append(handle)
                state.receivedBytes += buffer.pointee.length
                receivedHint.store(state.receivedBytes, ordering: .relaxed)
                state.receivedFootprint += Int(buffer.pointee.capacity)
                if state.receivedFootprint > Self.receiveHighWater && !state.paused {
                    state.paused = true
                    return true
                }
                return false
            }
            state.readEnd = length == 0 ? -1 : Int32(-length)
            if let waiter = state.recvWaiter, state.receivedBytes == 0 {
                state.recvWaiter = nil
                let failure = length == 0 ? nil : self.error("recv", errno: Int32(-length))
                switch waiter {
                case .bytes(let continuation, _):
                    wakeBytes = (continuation, failure.map { .failure($0) } ?? .success([]))
                case .buffer(let continuation):
                    wakeBuffer = (continuation, failure.map { .failure($0) } ?? .success(nil))
                }
            }
            return false
        }
        if let drop { cse_buffer_release(loop.handle, drop.pointer) }
        if let (continuation, result) = wakeBytes { continuation.resume(with: result) }
        if let (continuation, result) = wakeBuffer { continuation.resume(with: result) }
        return pause
    }

    /// One queued send finished with `result` bytes, or failed with -errno.
    func sent(_ result: Int) {
        // The common case, bytes sent and nobody waiting for room, touches only the count.
        if result >= 0 {
            let (mustWake, drained) = state.withLock { state -> (Bool, Bool) in
                state.queuedBytes -= result
                let drained = state.queuedBytes <= Self.sendHighWater / 2
                return (!state.sendWaiters.isEmpty && drained, drained)
            }
            // A handler's reading paused for a send backlog goes on once half of it is out.
            if handlerPaused && drained { handlerDrained() }
            if !mustWake { return }
        }
        var waiters: [UnsafeContinuation<Void, any Error>] = []
        var failure: EngineError?
        state.withLock { state in
            if result < 0 {
                state.sendErrno = Int32(-result)
                state.queuedBytes = 0
                failure = error("send", errno: Int32(-result))
            }
            if state.queuedBytes <= Self.sendHighWater / 2 {
                waiters = state.sendWaiters.map(\.continuation)
                state.sendWaiters = []
            }
        }
        for waiter in waiters {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
        }
    }

    /// The descriptor is closed; wakes everyone still waiting.
    func closedByLoop() {
        if handler != nil { endHandler(nil) }
        let (recvWaiter, sendWaiters, closeWaiters) = state.withLock { state in
            state.closed = true
            let taken = (state.recvWaiter, state.sendWaiters, state.closeWaiters)
            state.recvWaiter = nil
            state.sendWaiters = []
            state.closeWaiters = []
            return taken
        }
        recvWaiter?.resumeEnded()
        let failure = error("send", reason: "the connection was closed before the bytes were sent")
        for waiter in sendWaiters { waiter.continuation.resume(throwing: failure) }
        for waiter in closeWaiters { waiter.resume() }
    }

    // MARK: user-side operations

    /// Copies out up to `limit` buffered bytes (there is at least one), releasing the buffers
    /// it empties.
    private func takeBuffered(_ state: inout State, limit: Int) -> [UInt8] {
        let total = min(limit, state.receivedBytes)
        let output = [UInt8](unsafeUninitializedCapacity: total) { output, count in
            while count < total {
                let buffer = state.received[state.receivedHead].pointer
                let take = min(buffer.pointee.length, total - count)
                UnsafeMutableRawPointer(output.baseAddress! + count).copyMemory(
                    from: buffer.pointee.data, byteCount: take)
                count += take
                if take == buffer.pointee.length {
                    state.receivedHead += 1
                    state.receivedFootprint -= Int(buffer.pointee.capacity)
                    cse_buffer_release(loop.handle, buffer)
                } else {
                    buffer.pointee.data += take
                    buffer.pointee.length -= take
                }
            }
        }
        state.receivedBytes -= total
        receivedHint.store(state.receivedBytes, ordering: .relaxed)
        compactReceived(&state)
        return output
    }

    /// Takes the oldest buffered chunk whole (there is at least one).
    func takeBufferedChunk(_ state: inout State) -> BufferHandle {
        let buffer = state.received[state.receivedHead]
        state.receivedHead += 1
        state.receivedBytes -= buffer.pointer.pointee.length
        receivedHint.store(state.receivedBytes, ordering: .relaxed)
        state.receivedFootprint -= Int(buffer.pointer.pointee.capacity)
        compactReceived(&state)
        return buffer
    }

    private func compactReceived(_ state: inout State) {
        if state.receivedHead == state.received.count {
            state.received.removeAll(keepingCapacity: true)
            state.receivedHead = 0
        } else if state.receivedHead > 64 {
            state.received.removeFirst(state.receivedHead)
            state.receivedHead = 0
        }
    }

    /// Whether reading, paused by the high-water mark, may go on now; clears `paused` if so.
    private func shouldResume(_ state: inout State) -> Bool {
        guard state.paused && state.receivedFootprint < Self.receiveLowWater else { return false }
        state.paused = false
        return true
    }

    enum Immediate {
        case bytes([UInt8], resume: Bool)
        case failure(EngineError)
        case wait
    }

    nonisolated(nonsending) func recv(maxLength: Int) async throws -> [UInt8] {
        guard maxLength > 0 else {
            throw error("recv", reason: "maxLength must be positive, got \(maxLength)")
        }
        let immediate = state.withLock { state -> Immediate in
            if state.receivedBytes > 0 {
                let bytes = takeBuffered(&state, limit: maxLength)
                return .bytes(bytes, resume: shouldResume(&state))
            }
            if state.readEnd == -1 || state.closed { return .bytes([], resume: false) }
            if state.readEnd > 0 { return .failure(error("recv", errno: state.readEnd)) }
            if state.closeRequested {
                return .failure(error("recv", reason: "the connection is closed"))
            }
            if state.recvWaiter != nil {
                return .failure(error("recv", reason: "another recv is already waiting on this connection"))
            }
            return .wait
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
            cancelRecvWaiter(coveredOnly: false)
        }
    }

    private nonisolated(nonsending) func waitForBytes(maxLength: Int, covered: Bool) async throws -> [UInt8] {
        try await withUnsafeThrowingContinuation {
            (continuation: UnsafeContinuation<[UInt8], any Error>) in
            let early = state.withLock { state -> Result<[UInt8], any Error>? in
                if Task.isCancelled { return .failure(CancellationError()) }
                // Bytes may have arrived between the first check and now.
                if state.receivedBytes > 0 { return .success(takeBuffered(&state, limit: maxLength)) }
                if state.readEnd == -1 || state.closed { return .success([]) }
                if state.readEnd > 0 { return .failure(error("recv", errno: state.readEnd)) }
                if state.recvWaiter != nil {
                    return .failure(error("recv", reason: "another recv is already waiting on this connection"))
                }
                state.recvWaiter = .bytes(continuation, limit: maxLength)
                state.recvWaiterCovered = covered
                return nil
            }
            if let early { continuation.resume(with: early) }
        }
    }

    /// What `recvBuffer` finds without waiting: a chunk (nil at end of stream) or nothing yet.
    @usableFromInline
    enum ChunkOutcome {
        case ready(BufferHandle?)
        case wait
    }

    /// The next received chunk if one is buffered, else `.wait`; throws what a receive reports.
    /// `TCPConnection.recvBuffer` waits itself (one async frame fewer per message).
    @usableFromInline
    func chunkIfReady() throws(EngineError) -> ChunkOutcome {
        // Nothing buffered (the usual case for a request-response handler): straight to waiting,
        // where `awaitChunk` looks again under the lock.
        if receivedHint.load(ordering: .relaxed) == 0 { return .wait }
        var resume = false
        let outcome = try state.withLock { state throws(EngineError) -> ChunkOutcome in
            if state.receivedBytes > 0 {
                let buffer = takeBufferedChunk(&state)
                resume = shouldResume(&state)
                return .ready(buffer)
            }
            if state.readEnd == -1 || state.closed { return .ready(nil) }
            if state.readEnd > 0 { throw error("recv", errno: state.readEnd) }
            if state.closeRequested { throw error("recv", reason: "the connection is closed") }
            if state.recvWaiter != nil {
                throw error("recv", reason: "another recv is already waiting on this connection")
            }
            return .wait
        }
        if resume { _ = cse_resume_reading(loop.handle, id) }
        return outcome
    }

    /// Parks `continuation` for the next chunk, or resumes it at once when one is there (or the
    /// stream has ended, failed or the task is cancelled). `covered`: see ``runCovered(_:)``.
    @usableFromInline
    func awaitChunk(_ continuation: UnsafeContinuation<BufferHandle?, any Error>, covered: Bool) {
        var resume = false
        let early = state.withLock { state -> Result<BufferHandle?, any Error>? in
            if Task.isCancelled { return .failure(CancellationError()) }
            if state.receivedBytes > 0 {
                let buffer = takeBufferedChunk(&state)
                resume = shouldResume(&state)
                return .success(buffer)
            }
            if state.readEnd == -1 || state.closed { return .success(nil) }
            if state.readEnd > 0 { return .failure(error("recv", errno: state.readEnd)) }
            if state.closeRequested { return .failure(error("recv", reason: "the connection is closed")) }
            if state.recvWaiter != nil {
                return .failure(error("recv", reason: "another recv is already waiting on this connection"))
            }
            state.recvWaiter = .buffer(continuation)
            state.recvWaiterCovered = covered
            return nil
        }
        if resume { _ = cse_resume_reading(loop.handle, id) }
        if let early { continuation.resume(with: early) }
    }

    /// Waits for the next chunk from a task other than the covered one, with its own
    /// cancellation handler.
    @usableFromInline
    nonisolated(nonsending) func waitForChunkCancellable() async throws -> BufferHandle? {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { awaitChunk($0, covered: false) }
        } onCancel: {
            cancelRecvWaiter(coveredOnly: false)
        }
    }

    /// Ends a waiting receive with `CancellationError` (with `coveredOnly`, only one made by the
    /// covered task).
    func cancelRecvWaiter(coveredOnly: Bool) {
        let waiter = state.withLock { state -> RecvWaiter? in
            guard let waiter = state.recvWaiter, !coveredOnly || state.recvWaiterCovered else {
                return nil
            }
            state.recvWaiter = nil
            return waiter
        }
        waiter?.resume(throwing: CancellationError())
    }

    /// Runs `body` (a handler of this connection) with its cancellation watched once for all
    /// the receives it makes from this same task.
    func runCovered(_ body: () async -> Void) async {
        let task = withUnsafeCurrentTask { task in task.map(Self.bits) ?? 0 }
        coveredTask.store(task, ordering: .relaxed)
        await withTaskCancellationHandler {
            await body()
        } onCancel: {
            cancelRecvWaiter(coveredOnly: true)
        }
        // Cleared before the task ends: a later task at the same address is never mistaken for it.
        coveredTask.store(0, ordering: .relaxed)
    }

    /// Whether the calling task is the covered one.
    @usableFromInline
    func isCoveredTask() -> Bool {
        let covered = coveredTask.load(ordering: .relaxed)
        if covered == 0 { return false }
        return withUnsafeCurrentTask { task in task.map(Self.bits) == covered }
    }

    private static func bits(_ task: UnsafeCurrentTask) -> UInt { unsafeBitCast(task, to: UInt.self) }

    /// Hands `buffer` to the loop without copying it (ownership passes in every case); returns
    /// true when the caller must wait for room.
    @usableFromInline
    func enqueue(buffer: UnsafeMutablePointer<cse_buffer>) throws(EngineError) -> Bool {
        let length = buffer.pointee.length
        return try state.withLock { state throws(EngineError) -> Bool in
            var failure: EngineError?
            if state.closeRequested || state.closed {
                failure = error("send", reason: "the connection is closed")
            } else if state.sendErrno != 0 {
                failure = error("send", errno: state.sendErrno)
            }
            if let failure {
                cse_buffer_release(loop.handle, buffer)
                throw failure
            }
            // Queued under the lock so that a concurrent close is ordered after it.
            let rc = cse_send_buffer(loop.handle, id, buffer)
            if rc < 0 { throw error("send", errno: -rc) }
            state.queuedBytes += length
            return state.queuedBytes > Self.sendHighWater
        }
    }

    /// Hands a copy of `bytes` to the loop; returns true when the caller must wait for room.
    func enqueue(_ bytes: UnsafeRawBufferPointer) throws(EngineError) -> Bool {
        if bytes.isEmpty { return false }
        return try state.withLock { state throws(EngineError) -> Bool in
            if state.closeRequested || state.closed {
                throw error("send", reason: "the connection is closed")
            }
            if state.sendErrno != 0 { throw error("send", errno: state.sendErrno) }
            // Queued under the lock so that a concurrent close is ordered after it.
            let rc = cse_send(loop.handle, id, bytes.baseAddress, bytes.count)
            if rc < 0 { throw error("send", errno: -rc) }
            state.queuedBytes += bytes.count
            return state.queuedBytes > Self.sendHighWater
        }
    }

    /// Waits until the queue has drained to half the high-water mark (or the connection closed);
    /// cancellation ends the wait with `CancellationError` and leaves the bytes queued.
    @usableFromInline
    nonisolated(nonsending) func waitForRoom() async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation {
                (continuation: UnsafeContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.closed || state.queuedBytes <= Self.sendHighWater / 2 { return .success(()) }
                    state.sendWaiters.append((id, continuation))
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
                guard let index = state.sendWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sendWaiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Asks the loop to close after the queued bytes are sent; returns false if already asked.
    func requestClose() -> Bool {
        let first = state.withLock { state -> Bool in
            if state.closeRequested { return false }
            state.closeRequested = true
            _ = cse_close(loop.handle, id)
            return true
        }
        return first
    }

    nonisolated(nonsending) func waitClosed() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.closed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func error(_ operation: String, errno: Int32) -> EngineError {
        EngineError(operation: operation, target: "connection \(peer)", errno: errno)
    }

    func error(_ operation: String, reason: String) -> EngineError {
        EngineError(operation: operation, target: "connection \(peer)", reason: reason)
    }
}

/// A received C buffer passed between the loop thread and a task.
@usableFromInline
struct BufferHandle: @unchecked Sendable {
    // @unchecked: the buffer has exactly one owner at a time; the handle moves it.
    @usableFromInline let pointer: UnsafeMutablePointer<cse_buffer>
}
