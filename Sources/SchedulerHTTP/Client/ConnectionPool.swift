@_spi(SchedulerInternals) import SchedulerPool
import Synchronization

/// Open connections per ``PoolKey``: idle ones kept for reuse, at most `limit` per key in use
/// or being opened, and waiters served first come, first served.
///
/// A request leases a connection (an idle one, or the right to open one) and gives it back when
/// its response is read: a reusable connection goes to the oldest waiter or the idle list, any
/// other is closed and its slot passes on.
final class ConnectionPool: Sendable {
    /// What a lease grants: a connection ready to use, or a slot to open a new one in.
    enum Grant: Sendable {
        case connection(ClientConnection)
        case slot
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct Entry {
        var idle: [ClientConnection] = []
        /// Connections leased out or being opened.
        var busy = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var entries: [PoolKey: Entry] = [:]
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = FutexMutex(State())
    let limitPerKey: Int
    let idleTimeout: Duration

    init(limitPerKey: Int, idleTimeout: Duration) {
        self.limitPerKey = max(1, limitPerKey)
        self.idleTimeout = idleTimeout
    }

    /// A connection (or a slot) for `key`; waits in line when `limitPerKey` are busy.
    /// `fresh` skips idle connections (a retry after a dead one).
    func acquire(_ key: PoolKey, fresh: Bool = false) async throws -> Grant {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let (grant, failure) = state.withLock { state -> (Grant?, (any Error)?) in
                    if state.closed { return (nil, HTTPClientError.shutDown) }
                    var entry = state.entries[key] ?? Entry()
                    defer { state.entries[key] = entry }
                    Self.dropExpired(&entry, idleTimeout)
                    if !fresh, entry.waiters.isEmpty, let connection = entry.idle.popLast() {
                        entry.busy += 1
                        return (.connection(connection), nil)
                    }
                    if fresh, !entry.idle.isEmpty, entry.busy + entry.idle.count >= limitPerKey {
                        // Make room: an idle connection gives its slot to the fresh one.
                        entry.idle.removeFirst().discard()
                    }
                    if entry.waiters.isEmpty, entry.busy + entry.idle.count < limitPerKey {
                        entry.busy += 1
                        return (.slot, nil)
                    }
                    if entry.waiters.isEmpty, !entry.idle.isEmpty {
                        // All slots idle but a fresh one is wanted: replace the oldest idle connection.
                        entry.idle.removeFirst().discard()
                        entry.busy += 1
                        return (.slot, nil)
                    }
                    if Task.isCancelled { return (nil, HTTPClientError.cancelled) }
                    entry.waiters.append(Waiter(id: id, continuation: continuation))
                    return (nil, nil)
                }
                if let grant { continuation.resume(returning: grant) }
                if let failure { continuation.resume(throwing: failure) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard var entry = state.entries[key],
                    let index = entry.waiters.firstIndex(where: { $0.id == id })
                else { return nil }
                let waiter = entry.waiters.remove(at: index)
                state.entries[key] = entry
                return waiter
            }
            waiter?.continuation.resume(throwing: HTTPClientError.cancelled)
        }
    }

    /// Gives back a leased connection: reused when it may carry another request, else closed.
    func release(_ connection: ClientConnection) {
        let key = connection.key
        let reusable = connection.reusable
        if !reusable { connection.discard() }
        let (waiter, grant, expired) = state.withLock { state -> (Waiter?, Grant?, [ClientConnection]) in
            guard var entry = state.entries[key] else { return (nil, nil, []) }
            defer { state.entries[key] = entry }
            var expired: [ClientConnection] = []
            if reusable && state.closed {
                expired.append(connection)
                entry.busy -= 1
                return (nil, nil, expired)
            }
            if !entry.waiters.isEmpty {
                let waiter = entry.waiters.removeFirst()
                return (waiter, reusable ? .connection(connection) : .slot, [])
            }
            entry.busy -= 1
            if reusable {
                connection.idleSince = .now
                entry.idle.append(connection)
            }
            return (nil, nil, expired)
        }
        for connection in expired { connection.discard() }
        if let waiter, let grant { waiter.continuation.resume(returning: grant) }
    }

    /// Gives back a slot whose connect failed: it passes to the next waiter.
    func releaseSlot(_ key: PoolKey) {
        let waiter = state.withLock { state -> Waiter? in
            guard var entry = state.entries[key] else { return nil }
            defer { state.entries[key] = entry }
            if !entry.waiters.isEmpty { return entry.waiters.removeFirst() }
            entry.busy -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .slot)
    }

    /// Closes idle connections older than the idle timeout.
    func closeExpired() {
        let expired = state.withLock { state -> [ClientConnection] in
            var expired: [ClientConnection] = []
            for key in Array(state.entries.keys) {
                var entry = state.entries[key]!
                let before = entry.idle
                Self.dropExpired(&entry, idleTimeout)
                expired += before.filter { old in !entry.idle.contains { $0 === old } }
                if entry.idle.isEmpty && entry.busy == 0 && entry.waiters.isEmpty {
                    state.entries[key] = nil
                } else {
                    state.entries[key] = entry
                }
            }
            return expired
        }
        for connection in expired { connection.discard() }
    }

    /// Idle connections per key, for tests and statistics.
    func idleCount(_ key: PoolKey) -> Int { state.withLock { $0.entries[key]?.idle.count ?? 0 } }

    /// Closes every idle connection and fails every waiter; connections in use close when given back.
    func close() -> [ClientConnection] {
        let (idle, waiters) = state.withLock { state -> ([ClientConnection], [Waiter]) in
            state.closed = true
            var idle: [ClientConnection] = []
            var waiters: [Waiter] = []
            for key in Array(state.entries.keys) {
                idle += state.entries[key]!.idle
                waiters += state.entries[key]!.waiters
                state.entries[key]!.idle = []
                state.entries[key]!.waiters = []
            }
            return (idle, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: HTTPClientError.shutDown) }
        for connection in idle { connection.discard() }
        return idle
    }

    private static func dropExpired(_ entry: inout Entry, _ timeout: Duration) {
        let now = ContinuousClock.now
        entry.idle.removeAll { connection in
            guard connection.idleSince.duration(to: now) >= timeout else { return false }
            connection.discard()
            return true
        }
    }
}
