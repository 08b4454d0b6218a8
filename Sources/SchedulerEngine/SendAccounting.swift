/// The bytes a connection has queued for sending and the tasks waiting for the queue to drain.
///
/// `send` waits while more than `highWater` bytes are queued, until they drop to half; a failed
/// send fails every later one with the same errno.
struct SendAccounting {
    /// `send` waits above this many queued bytes.
    static let highWater = 1 << 20

    /// Bytes handed to the loop and not yet reported sent.
    private(set) var queuedBytes = 0
    /// The errno of the send that failed, if one did.
    private(set) var failure: Int32?
    private var waiters: [(id: UInt64, continuation: UnsafeContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0

    /// Whether more than the high-water mark is queued (a sender must wait).
    var isFull: Bool { queuedBytes > Self.highWater }
    /// Whether the queue is down to half the high-water mark (waiting senders may go on).
    var isDrained: Bool { queuedBytes <= Self.highWater / 2 }
    /// Whether a task waits for room.
    var hasWaiters: Bool { !waiters.isEmpty }

    /// Counts `count` more queued bytes; returns true when the sender must wait for room.
    mutating func queued(_ count: Int) -> Bool {
        queuedBytes += count
        return isFull
    }

    /// Counts `count` bytes as sent.
    mutating func sent(_ count: Int) {
        queuedBytes -= count
    }

    /// Records a failed send: the queue is gone, and later sends fail with `code`.
    mutating func failed(errno code: Int32) {
        failure = code
        queuedBytes = 0
    }

    /// A fresh identity for a waiter, so that its cancellation finds it.
    mutating func makeWaiterID() -> UInt64 {
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Parks `continuation` until the queue drains.
    mutating func addWaiter(id: UInt64, _ continuation: UnsafeContinuation<Void, any Error>) {
        waiters.append((id, continuation))
    }

    /// Removes the waiter `id` (cancelled), if it is still waiting.
    mutating func removeWaiter(id: UInt64) -> UnsafeContinuation<Void, any Error>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }

    /// Removes and returns every waiter.
    mutating func takeWaiters() -> [UnsafeContinuation<Void, any Error>] {
        defer { waiters = [] }
        return waiters.map(\.continuation)
    }
}
