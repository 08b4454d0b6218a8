import CSchedulerEngine
import Synchronization

/// The shared state of one connection: bytes received but not yet read, bytes queued for
/// sending, and the tasks waiting on either. The loop thread feeds it through callbacks; user
/// tasks drain it. The C loop holds one retain on it from accept until `on_closed`.
final class ConnectionCore: Sendable {
  /// Receiving pauses above this many buffered bytes and resumes below `receiveLowWater`.
  static let receiveHighWater = 1 << 18
  static let receiveLowWater = 1 << 16
  /// `send` waits while more than this many bytes are queued, until they drop under half.
  static let sendHighWater = 1 << 20

  struct State: ~Copyable {
    var received: [[UInt8]] = []
    var receivedHead = 0
    var receivedBytes = 0
    /// 0 = open, -1 = end of stream, > 0 = errno of the failed receive.
    var readEnd: Int32 = 0
    var recvWaiter: UnsafeContinuation<[UInt8], any Error>?
    var recvLimit = 0
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
  let loop: EngineLoop
  let id: UInt64
  let peer: String

  init(loop: EngineLoop, id: UInt64, peer: String) {
    self.loop = loop
    self.id = id
    self.peer = peer
  }

  // MARK: loop-thread callbacks

  /// Bytes, end of stream (0) or -errno from the loop; returns true to pause reading.
  func deliver(_ bytes: UnsafeBufferPointer<UInt8>?, _ length: Int) -> Bool {
    var wake: UnsafeContinuation<[UInt8], any Error>?
    var result: Result<[UInt8], any Error> = .success([])
    let pause = state.withLock { state -> Bool in
      if state.closeRequested || state.closed { return false }
      if length > 0, let bytes {
        if let waiter = state.recvWaiter, state.receivedBytes == 0 {
          state.recvWaiter = nil
          wake = waiter
          let taken = min(length, state.recvLimit)
          result = .success(Array(UnsafeBufferPointer(rebasing: bytes[0..<taken])))
          if taken < length {
            state.received.append(Array(UnsafeBufferPointer(rebasing: bytes[taken..<length])))
            state.receivedBytes += length - taken
          }
        } else {
          state.received.append(Array(bytes))
          state.receivedBytes += length
        }
        if state.receivedBytes > Self.receiveHighWater && !state.paused {
          state.paused = true
          return true
        }
        return false
      }
      state.readEnd = length == 0 ? -1 : Int32(-length)
      if let waiter = state.recvWaiter, state.receivedBytes == 0 {
        state.recvWaiter = nil
        wake = waiter
        result = length == 0 ? .success([]) : .failure(self.error("recv", errno: Int32(-length)))
      }
      return false
    }
    wake?.resume(with: result)
    return pause
  }

  /// One queued send finished with `result` bytes, or failed with -errno.
  func sent(_ result: Int) {
    var waiters: [UnsafeContinuation<Void, any Error>] = []
    var failure: EngineError?
    state.withLock { state in
      if result < 0 {
        state.sendErrno = Int32(-result)
        state.queuedBytes = 0
        failure = error("send", errno: Int32(-result))
      } else {
        state.queuedBytes -= result
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
    let (recvWaiter, sendWaiters, closeWaiters) = state.withLock { state in
      state.closed = true
      let taken = (state.recvWaiter, state.sendWaiters, state.closeWaiters)
      state.recvWaiter = nil
      state.sendWaiters = []
      state.closeWaiters = []
      return taken
    }
    recvWaiter?.resume(returning: [])
    let failure = error("send", reason: "the connection was closed before the bytes were sent")
    for waiter in sendWaiters { waiter.continuation.resume(throwing: failure) }
    for waiter in closeWaiters { waiter.resume() }
  }

  // MARK: user-side operations

  /// Takes up to `limit` buffered bytes; nil when none are buffered and the stream is open.
  private func takeBuffered(_ state: inout State, limit: Int) -> [UInt8] {
    var output: [UInt8] = []
    let first = state.received[state.receivedHead]
    if first.count <= limit {
      output = first
      state.receivedHead += 1
    } else {
      output = Array(first[0..<limit])
      state.received[state.receivedHead] = Array(first[limit...])
    }
    while output.count < limit && state.receivedHead < state.received.count {
      let next = state.received[state.receivedHead]
      let room = limit - output.count
      if next.count <= room {
        output += next
        state.receivedHead += 1
      } else {
        output += next[0..<room]
        state.received[state.receivedHead] = Array(next[room...])
      }
    }
    state.receivedBytes -= output.count
    if state.receivedHead == state.received.count {
      state.received.removeAll(keepingCapacity: true)
      state.receivedHead = 0
    } else if state.receivedHead > 64 {
      state.received.removeFirst(state.receivedHead)
      state.receivedHead = 0
    }
    return output
  }

  enum Immediate {
    case bytes([UInt8], resume: Bool)
    case failure(EngineError)
    case wait
  }

  func recv(maxLength: Int) async throws -> [UInt8] {
    guard maxLength > 0 else {
      throw error("recv", reason: "maxLength must be positive, got \(maxLength)")
    }
    let immediate = state.withLock { state -> Immediate in
      if state.receivedBytes > 0 {
        let bytes = takeBuffered(&state, limit: maxLength)
        var resume = false
        if state.paused && state.receivedBytes < Self.receiveLowWater {
          state.paused = false
          resume = true
        }
        return .bytes(bytes, resume: resume)
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
    return try await withTaskCancellationHandler {
      try await withUnsafeThrowingContinuation {
        (continuation: UnsafeContinuation<[UInt8], any Error>) in
        let early = state.withLock { state -> Result<[UInt8], any Error>? in
          if Task.isCancelled { return .failure(CancellationError()) }
          // Bytes may have arrived between the first check and now.
          if state.receivedBytes > 0 { return .success(takeBuffered(&state, limit: maxLength)) }
          if state.readEnd == -1 || state.closed { return .success([]) }
          if state.readEnd > 0 { return .failure(error("recv", errno: state.readEnd)) }
          state.recvWaiter = continuation
          state.recvLimit = maxLength
          return nil
        }
        if let early { continuation.resume(with: early) }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        defer { state.recvWaiter = nil }
        return state.recvWaiter
      }
      waiter?.resume(throwing: CancellationError())
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
  func waitForRoom() async throws {
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

  func waitClosed() async {
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
