import SchedulerPool

/// Why an operation on a shared pool failed. No case ever holds the database password: the
/// database is named by `DatabaseTarget.description`, which masks it.
public enum SharedPoolError: Error, Sendable, Hashable {
    /// The pool refused the operation, as an in-memory `IPPool` would (exhausted, unknown owner, ...).
    case pool(IPPoolError)
    /// No pool of this name exists in the database (create it first).
    case unknownPool(String)
    /// The database could not be reached or refused the connection.
    case unreachable(database: String, reason: String)
    /// The operation did not finish within its timeout; the connection was dropped and will be
    /// opened again by the next operation. An allocation may be retried: it is idempotent per owner.
    case timedOut(operation: String, database: String, milliseconds: Int)
    /// The connection broke while the operation ran, so whether it was applied is unknown; an
    /// allocation may be retried (idempotent per owner), a release may then report `.unknownOwner`.
    case connectionLost(operation: String, database: String, reason: String)
    /// The server refused a statement: its SQLSTATE and primary message.
    case server(operation: String, sqlState: String, message: String)
    /// An option or a value read from the database is unusable (a block size out of range, ...).
    case invalidConfiguration(String)
    /// The pool object was shut down.
    case shutDown
}

extension SharedPoolError: CustomStringConvertible {
    /// One sentence naming the operation, the database (password masked) and the reason.
    public var description: String {
        switch self {
        case .pool(let error): return error.description
        case .unknownPool(let name): return "no shared pool named \"" + name + "\" (create it first)"
        case .unreachable(let database, let reason): return "cannot connect to " + database + ": " + reason
        case .timedOut(let operation, let database, let milliseconds):
            return operation + " on " + database + " timed out after " + String(milliseconds) + " ms"
        case .connectionLost(let operation, let database, let reason):
            return operation + " on " + database + ": connection lost (" + reason + ")"
        case .server(let operation, let sqlState, let message):
            return operation + ": server error " + sqlState + ": " + message
        case .invalidConfiguration(let reason): return "invalid shared pool configuration: " + reason
        case .shutDown: return "the shared pool was shut down"
        }
    }
}
