import ArgumentParser
import Foundation
import SchedulerPool
import SchedulerPoolPostgres

/// Why `ippool` stopped, with its exit status.
enum ToolError: Error {
    /// The pool does not exist (exit 1).
    case noPool(String)
    /// A file or an argument is unusable (exit 2).
    case badInput(String)
}

/// The options every command shares: where the pool is and how to print.
struct PoolLocation: ParsableArguments {
    @Option(help: "Directory of a durable local pool.")
    var dir: String?

    @Option(
        help:
            "PostgreSQL URL of a shared pool (postgresql://user@host:5432/db); the password may come from PGPASSWORD, ~/.pgpass or --password-file, and is never printed."
    )
    var database: String?

    @Option(help: "File whose first line is the database password.")
    var passwordFile: String?

    @Option(help: "The pool's name.")
    var pool: String

    @Option(help: "This machine's host name in a shared pool (default: the system host name).")
    var host: String?

    @Option(help: "Time limit of each database operation, in seconds.")
    var timeout: Double = 10

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if (dir == nil) == (database == nil) {
            throw ValidationError("give exactly one of --dir PATH and --database URL")
        }
        if passwordFile != nil && database == nil { throw ValidationError("--password-file needs --database") }
    }

    /// Opens the pool (creating it for `create`).
    func open(create: Bool = false, blockPrefixV4: Int = 26, blockPrefixV6: Int = 122, quarantine: Double = 0)
        async throws -> PoolBackend
    {
        if let dir { return try DurableBackend(directory: dir, name: pool, create: create) }
        let target =
            try passwordFile.map { try DatabaseTarget(database!, passwordFile: $0) } ?? DatabaseTarget(database!)
        var options = SharedPoolOptions(host: host)
        options.timeout = .milliseconds(Int(timeout * 1000))
        options.blockPrefixV4 = blockPrefixV4
        options.blockPrefixV6 = blockPrefixV6
        options.quarantine = .milliseconds(Int(quarantine * 1000))
        let shared =
            create
            ? try await SharedIPPool.create(name: pool, database: target, options: options)
            : try await SharedIPPool.open(name: pool, database: target, options: options)
        return SharedBackend(pool: shared)
    }

    /// Runs `body` on the open pool and closes it.
    func with<T>(create: Bool = false, _ body: (PoolBackend) async throws -> T) async throws -> T {
        let backend = try await open(create: create)
        do {
            let value = try await body(backend)
            await backend.close()
            return value
        } catch {
            await backend.close()
            throw error
        }
    }
}

/// `--type vm|container|custom:NAME` (vm and container may carry a label too: `vm:web`).
func parseType(_ text: String) throws -> ResourceType {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let label = parts.count > 1 ? parts[1] : ""
    switch parts.first ?? "" {
    case "vm": return .vm(label)
    case "container": return .container(label)
    case "custom" where !label.isEmpty: return .custom(label)
    default: throw ValidationError("--type must be vm, container or custom:NAME, not \"" + text + "\"")
    }
}

/// An address argument, or a validation error naming it.
func parseAddress(_ text: String) throws -> IPAddress {
    guard let ip = IPAddress(text) else { throw ValidationError("\"" + text + "\" is not an IPv4 or IPv6 address") }
    return ip
}
