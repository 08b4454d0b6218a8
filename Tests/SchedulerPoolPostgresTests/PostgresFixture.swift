import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

/// Every suite of the shared pool, one at a time (one restarts the server under the others).
@Suite(.serialized, .enabled(if: PostgresFixture.available))
enum SharedPoolTests {}

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

    /// Runs a program to its end (posix_spawn, stdout through a pipe); its stdout; throws when it fails.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let child = try Spawned(path, arguments)
        let text = child.readAll()
        let status = child.wait()
        guard status == 0 else {
            throw FixtureError(message: "\(path) \(arguments.dropFirst()) exited with status \(status): \(text)")
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

/// A child process whose stdout is a pipe this process reads.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    let output: Int32

    init(_ path: String, _ arguments: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw FixtureError(message: "pipe: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            throw FixtureError(message: "posix_spawn \(path): errno \(result)")
        }
        self.pid = pid
        output = fds[0]
    }

    /// Reads until `count` lines starting with `prefix` arrived (or the output ended).
    func read(untilLines count: Int, prefix: String) -> String {
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while text.split(separator: "\n").filter({ $0.hasPrefix(prefix) }).count < count {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            text += String(decoding: buffer[0..<got], as: UTF8.self)
        }
        return text
    }

    /// Reads to the end of the output and closes the pipe.
    func readAll() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            bytes += buffer[0..<got]
        }
        close(output)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for the exit; the exit status, or 128 + the signal.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
