import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

/// The throwaway PostgreSQL cluster `make test-postgres` started (tools/pg_cluster.sh):
/// `SCHEDULER_CORE_PG_URL` is its URL, `SCHEDULER_CORE_PG_DIR` its directory (for a restart).
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["SCHEDULER_CORE_PG_URL"]
    static let directory = ProcessInfo.processInfo.environment["SCHEDULER_CORE_PG_DIR"]

    /// Whether the suite can run; when not, it is skipped with this reason.
    static var available: Bool {
        if url == nil {
            print("SchedulerPoolPostgresTests: SKIPPED: SCHEDULER_CORE_PG_URL is not set (run `make test-postgres`)")
        }
        return url != nil
    }

    static var target: DatabaseTarget { DatabaseTarget(url ?? "") }

    /// A pool name no other test uses.
    static func uniqueName(_ stem: String) -> String {
        stem + "-" + String(getpid()) + "-" + String(UInt32.random(in: 0...UInt32.max))
    }

    /// Options for a test host: short timeouts.
    static func options(_ host: String, lease: Duration = .seconds(30)) -> SharedPoolOptions {
        var options = SharedPoolOptions(host: host)
        options.lease = lease
        options.timeout = .seconds(5)
        return options
    }

    /// Runs psql against the cluster; its stdout.
    static func psql(_ sql: String) throws -> String {
        try run("/usr/bin/psql", [url ?? "", "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Runs a program to its end; its stdout; throws when it fails.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "\(path) \(arguments.dropFirst()) exited \(process.terminationStatus): \(text)")
        }
        return text
    }

    /// Restarts the server (immediate stop, which is a crash for the database, then start).
    static func restartServer() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/pg_cluster.sh").path
        try run("/bin/bash", [script, "restart", directory ?? ""])
    }

    /// The SharedPoolChild executable, built beside this test bundle.
    static func childExecutable() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = (me as NSString).deletingLastPathComponent + "/SharedPoolChild"
        try #require(FileManager.default.isExecutableFile(atPath: path), "missing \(path): build SharedPoolChild")
        return path
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What an async throwing call returned or threw.
func outcome<T>(_ body: () async throws(SharedPoolError) -> T) async -> Result<T, SharedPoolError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
