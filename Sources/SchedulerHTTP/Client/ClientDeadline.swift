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
