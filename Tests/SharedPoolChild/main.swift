// One "host" of the shared-pool tests: opens pool POOL on URL as HOST and allocates COUNT owners
// ("TAG-<i>"/"r") with CONCURRENCY tasks at once. Every allocation that returned is written at
// once as "A <ip> <subinstance>" (so a SIGKILL loses none that returned); a failed one as
// "E <error>"; at the end "C <allocations> <transactions> <claims> <borrowed>".
// With RETRIES, a failed allocation is tried again (the same owner: retries are idempotent)
// up to RETRIES times, 50 ms apart.
// Arguments: URL POOL HOST COUNT CONCURRENCY TAG [LEASE_MS] [TIMEOUT_MS] [RETRIES]
import Foundation
import SchedulerPool
import SchedulerPoolPostgres

let arguments = CommandLine.arguments
guard arguments.count >= 7, let count = Int(arguments[4]), let concurrency = Int(arguments[5]) else {
    FileHandle.standardError.write(
        Data("usage: SharedPoolChild URL POOL HOST COUNT CONCURRENCY TAG [LEASE_MS] [TIMEOUT_MS]\n".utf8))
    exit(2)
}
var options = SharedPoolOptions(host: arguments[3])
if arguments.count > 7, let lease = Int(arguments[7]) { options.lease = .milliseconds(lease) }
if arguments.count > 8, let timeout = Int(arguments[8]) { options.timeout = .milliseconds(timeout) }
let tag = arguments[6]
let retries = arguments.count > 9 ? Int(arguments[9]) ?? 0 : 0

/// Writes one line with a single write(2).
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

do {
    let pool = try await SharedIPPool.create(
        name: arguments[2], database: DatabaseTarget(arguments[1]), options: options)
    emit("R")
    let next = Counter()
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                while let index = next.take(below: count) {
                    let owner = tag + "-" + String(index)
                    for attempt in 0...retries {
                        do {
                            let ip = try await pool.allocate(subinstance: owner, resource: "r", type: .custom("test"))
                            emit("A " + ip.description + " " + owner)
                            break
                        } catch {
                            emit("E \(error)")
                            if attempt < retries { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
            }
        }
    }
    let counters = pool.counters
    emit("C \(counters.allocations) \(counters.allocationTransactions) \(counters.blockClaims) \(counters.borrowed)")
    await pool.shutdown()
} catch {
    emit("E \(error)")
    exit(1)
}

/// The next owner index, shared by the tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
