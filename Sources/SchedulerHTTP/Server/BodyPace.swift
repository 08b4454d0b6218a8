/// How long a server may wait for a request body's next bytes: no single wait longer than
/// `stall`, and, once `grace` of waiting is spent, no more waiting in all than the body's bytes
/// so far buy at `bytesPerSecond` (a minimum receive rate against clients that trickle a body).
/// Only the time spent waiting counts, so a handler that reads slowly does not count against
/// its client.
struct BodyPace {
    /// The longest single wait for bytes.
    let stall: Duration
    /// The slowest average a body may arrive at after the grace period; 0: no minimum.
    let bytesPerSecond: Int
    /// Waiting allowed before the minimum applies.
    let grace: Duration

    /// How long the next wait may last, with `bytes` of the body received and `waited`
    /// nanoseconds already spent waiting for it; zero when the body is already too slow.
    func allowedWait(bytes: Int, waited: Int64) -> Duration {
        guard bytesPerSecond > 0 else { return stall }
        let earned = Double(grace.nanoseconds) + Double(bytes) / Double(bytesPerSecond) * 1e9
        let left = min(earned - Double(waited), Double(stall.nanoseconds))
        return .nanoseconds(Int64(max(left, 0)))
    }
}
