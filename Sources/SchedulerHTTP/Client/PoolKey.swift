import SchedulerPool

/// What makes two requests share connections: scheme, host, port and source address.
struct PoolKey: Sendable, Hashable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: UInt16
    /// The local address connections leave from (nil: the kernel's choice).
    var source: SocketAddress?

    var description: String { "\(scheme)://\(host):\(port) from \(source.map { "\($0.ip)" } ?? "any")" }
}
