/// The time bounds of one exchange: a total deadline and the gap allowed between bytes.
struct ClientDeadline: Sendable {
    /// When the whole exchange must be over (nil: no total bound).
    var total: ContinuousClock.Instant?
    /// The longest wait for one read or write.
    var read: Duration

    /// The longer wait allowed now and which timeout it stands for.
    func nextWait(_ clock: ContinuousClock = ContinuousClock()) -> (Duration, HTTPClientTimeout) {
        guard let total else { return (read, .read) }
        let left = clock.now.duration(to: total)
        return left < read ? (max(left, .zero), .total) : (read, .read)
    }
}

/// Runs `operation`, throwing `timedOut(kind)` if it takes longer than `limit` (the operation
/// is cancelled then), `cancelled` if the calling task is cancelled.
func withTimeout<T: Sendable>(
    _ limit: Duration, _ kind: HTTPClientTimeout, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    if Task.isCancelled { throw HTTPClientError.cancelled }
    guard limit > .zero else { throw HTTPClientError.timedOut(kind) }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        do {
            guard let first = try await group.next(), let value = first else { throw HTTPClientError.timedOut(kind) }
            return value
        } catch is CancellationError {
            throw HTTPClientError.cancelled
        }
    }
}
