import Foundation

/// How a pool object works with the database and, when it creates the pool, how the pool is laid out.
public struct SharedPoolOptions: Sendable {
    /// This pool object's host name in the database: it owns the blocks it claims under this name
    /// (default: the machine's host name). Processes that share a name share blocks.
    public var host: String
    /// Block size for IPv4 ranges, as a prefix length (stored when the pool is created).
    public var blockPrefixV4: Int = 26
    /// Block size for IPv6 ranges, as a prefix length (stored when the pool is created).
    public var blockPrefixV6: Int = 122
    /// How long a released address is kept from reuse (stored when the pool is created).
    public var quarantine: Duration = .zero
    /// How long a block claim lasts without renewal; this object renews every third of it.
    /// Another host may take a block over once its lease has run out.
    public var lease: Duration = .seconds(30)
    /// The time limit of every operation, waiting in the queue included.
    public var timeout: Duration = .seconds(5)
    /// The most allocations one transaction carries.
    public var maxBatch: Int = 256

    /// Defaults, with `host` the machine's host name.
    public init(host: String? = nil) {
        self.host = host ?? ProcessInfo.processInfo.hostName
    }
}
