// make bench-shared: the shared pool (4 processes standing for 4 hosts, 8 allocators each, and one
// process alone) against a NetBox-style baseline (every allocation one transaction that locks the
// pool row and selects the lowest free address), on one PostgreSQL with fsync and
// synchronous_commit on, same run. Prints allocations/s, p50/p99 latency, allocations per
// transaction, and the cost of a block claim.
// Usage: shared-bench URL [SECONDS]         (the coordinator; spawns itself as the hosts)
//        shared-bench host KIND URL POOL HOST ALLOCATORS START_MS DURATION_MS
import CLibPQ
import Foundation
import SchedulerPool
import SchedulerPoolPostgres

/// Milliseconds of CLOCK_REALTIME, which every process shares.
func realtimeMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("shared-bench: " + message + "\n").utf8))
    exit(1)
}

/// A blocking libpq connection for the baseline and the setup.
final class Blocking: @unchecked Sendable {  // used by one thread at a time
    let connection: OpaquePointer
    init(_ url: String) {
        guard let connection = PQconnectdb(url), PQstatus(connection) == CONNECTION_OK else { fail("cannot connect") }
        self.connection = connection
    }
    deinit { PQfinish(connection) }

    /// Runs `sql` with text parameters; the first column of the first row.
    @discardableResult
    func exec(_ sql: String, _ parameters: [String] = []) -> String? {
        let values = parameters.map { strdup($0) }
        defer { values.forEach { free($0) } }
        var pointers = values.map { UnsafePointer<CChar>($0) }
        let result = PQexecParams(connection, sql, Int32(parameters.count), nil, &pointers, nil, nil, 0)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            fail(sql + ": " + String(cString: PQresultErrorMessage(result)))
        }
        return PQntuples(result) > 0 && PQgetisnull(result, 0, 0) == 0 ? String(cString: PQgetvalue(result, 0, 0)) : nil
    }
}

/// Latencies (microseconds) collected by several allocators.
final class Samples: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Int] = []
    func add(_ batch: [Int]) {
        lock.lock()
        values += batch
        lock.unlock()
    }
}

func microseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
}

/// One host: allocates from START_MS for DURATION_MS; prints "S <allocations> <transactions> <claims>" and "L <µs>...".
func runHost(_ arguments: [String]) async {
    let kind = arguments[2]
    let url = arguments[3]
    let pool = arguments[4]
    let host = arguments[5]
    guard let allocators = Int(arguments[6]), let start = Int64(arguments[7]), let duration = Int64(arguments[8]) else {
        fail("bad host arguments")
    }
    let samples = Samples()
    let end = start + duration
    if kind == "shared" {
        var options = SharedPoolOptions(host: host)
        options.timeout = .seconds(10)
        let shared: SharedIPPool
        do {
            shared = try await SharedIPPool.open(name: pool, database: DatabaseTarget(url), options: options)
        } catch {
            fail("\(error)")
        }
        while realtimeMilliseconds() < start { try? await Task.sleep(for: .milliseconds(1)) }
        await withTaskGroup(of: Void.self) { group in
            for allocator in 0..<allocators {
                group.addTask {
                    var local: [Int] = []
                    var index = 0
                    while realtimeMilliseconds() < end {
                        let began = ContinuousClock.now
                        do {
                            _ = try await shared.allocate(
                                subinstance: "\(host)-\(allocator)-\(index)", resource: "r", type: .vm("b"))
                        } catch {
                            fail("\(error)")
                        }
                        local.append(microseconds(began.duration(to: .now)))
                        index += 1
                    }
                    samples.add(local)
                }
            }
        }
        let counters = shared.counters
        print("S \(counters.allocations) \(counters.allocationTransactions) \(counters.blockClaims)")
        await shared.shutdown()
    } else {
        let threads = (0..<allocators).map { allocator in
            let connection = Blocking(url)
            let thread = Thread {
                var local: [Int] = []
                var index = 0
                while realtimeMilliseconds() < start { usleep(500) }
                while realtimeMilliseconds() < end {
                    let began = ContinuousClock.now
                    connection.exec("BEGIN")
                    connection.exec("SELECT 1 FROM baseline_pools WHERE name = $1 FOR UPDATE", [pool])
                    let free = connection.exec(
                        """
                        SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM baseline_ips WHERE pool = $1 AND n = 1) THEN 1
                            ELSE (SELECT min(a.n) + 1 FROM baseline_ips a WHERE a.pool = $1
                                  AND NOT EXISTS (SELECT 1 FROM baseline_ips b WHERE b.pool = $1 AND b.n = a.n + 1)) END
                        """, [pool])!
                    connection.exec(
                        "INSERT INTO baseline_ips (pool, n, subinstance, resource) VALUES ($1, $2, $3, 'r')",
                        [pool, free, "\(host)-\(allocator)-\(index)"])
                    connection.exec("COMMIT")
                    local.append(microseconds(began.duration(to: .now)))
                    index += 1
                }
                samples.add(local)
            }
            thread.start()
            return thread
        }
        while threads.contains(where: { !$0.isFinished }) { try? await Task.sleep(for: .milliseconds(5)) }
        print("S \(samples.values.count) \(samples.values.count) 0")
    }
    print("L " + samples.values.map(String.init).joined(separator: " "))
}

/// What one scenario measured.
struct Row {
    let name: String
    let perSecond: Double
    let p50: Double
    let p99: Double
    let perTransaction: Double
}

func scenario(_ name: String, kind: String, url: String, pool: String, hosts: Int, allocators: Int, seconds: Double)
    -> Row
{
    let me = CommandLine.arguments[0]
    let start = realtimeMilliseconds() + 1500
    let duration = Int64(seconds * 1000)
    let children = (0..<hosts).map { index -> (Process, Pipe) in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: me)
        process.arguments = [
            "host", kind, url, pool, "host\(index)", String(allocators), String(start), String(duration),
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { fail("spawn: \(error)") }
        return (process, pipe)
    }
    var allocations = 0
    var transactions = 0
    var latencies: [Int] = []
    for (process, pipe) in children {
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { fail(name + ": a host failed") }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.first == "S" {
                allocations += Int(parts[1])!
                transactions += Int(parts[2])!
            } else if parts.first == "L" {
                latencies += parts.dropFirst().map { Int($0)! }
            }
        }
    }
    latencies.sort()
    func percentile(_ p: Double) -> Double {
        latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000
    }
    return Row(
        name: name, perSecond: Double(allocations) / seconds, p50: percentile(0.5), p99: percentile(0.99),
        perTransaction: transactions == 0 ? 0 : Double(allocations) / Double(transactions))
}

func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

func coordinator(url: String, seconds: Double) async {
    let setup = Blocking(url)
    setup.exec("SET client_min_messages = warning")
    setup.exec("CREATE TABLE IF NOT EXISTS baseline_pools (name text PRIMARY KEY)")
    setup.exec(
        "CREATE TABLE IF NOT EXISTS baseline_ips (pool text NOT NULL, n int NOT NULL, subinstance text NOT NULL, resource text NOT NULL, PRIMARY KEY (pool, n), UNIQUE (pool, subinstance, resource))"
    )
    print(
        "fsync=\(setup.exec("SHOW fsync")!) synchronous_commit=\(setup.exec("SHOW synchronous_commit")!), \(format(seconds, 0)) s per scenario"
    )
    var rows: [Row] = []
    let stamp = String(realtimeMilliseconds())
    for (name, hosts, kind) in [
        ("shared pool, 4 hosts x 8", 4, "shared"), ("shared pool, 1 host x 8", 1, "shared"),
        ("NetBox-style, 4 x 8 connections", 4, "baseline"),
    ] {
        let pool = "bench-\(kind)-\(hosts)-" + stamp
        if kind == "shared" {
            do {
                let created = try await SharedIPPool.create(
                    name: pool, database: DatabaseTarget(url), options: SharedPoolOptions(host: "setup"))
                try await created.addCIDRRange("10.0.0.0/8")
                await created.shutdown()
            } catch {
                fail("\(error)")
            }
        } else {
            setup.exec("INSERT INTO baseline_pools VALUES ($1)", [pool])
        }
        rows.append(scenario(name, kind: kind, url: url, pool: pool, hosts: hosts, allocators: 8, seconds: seconds))
    }
    // The cost of a block claim: the first allocation of 20 new hosts (claim + insert) against
    // the allocations that follow it (insert only), one at a time.
    let claimPool = "bench-claim-" + stamp
    var first: [Int] = []
    var next: [Int] = []
    do {
        let created = try await SharedIPPool.create(
            name: claimPool, database: DatabaseTarget(url), options: SharedPoolOptions(host: "setup"))
        try await created.addCIDRRange("10.0.0.0/8")
        await created.shutdown()
        for host in 0..<20 {
            let pool = try await SharedIPPool.open(
                name: claimPool, database: DatabaseTarget(url), options: SharedPoolOptions(host: "claimer\(host)"))
            for index in 0..<5 {
                let began = ContinuousClock.now
                _ = try await pool.allocate(subinstance: "c\(host)-\(index)", resource: "r", type: .vm("b"))
                let elapsed = microseconds(began.duration(to: .now))
                if index == 0 { first.append(elapsed) } else { next.append(elapsed) }
            }
            await pool.shutdown()
        }
    } catch {
        fail("\(error)")
    }
    first.sort()
    next.sort()
    // The floor under any allocation's latency: one tiny transaction committed (WAL fsync), one at a time.
    setup.exec("CREATE TABLE IF NOT EXISTS bench_floor (n int)")
    var floor: [Int] = []
    for index in 0..<100 {
        let began = ContinuousClock.now
        setup.exec("INSERT INTO bench_floor VALUES ($1)", [String(index)])
        floor.append(microseconds(began.duration(to: .now)))
    }
    floor.sort()

    print("")
    print("scenario                          allocations/s   p50 ms   p99 ms   allocations/transaction")
    for row in rows {
        print(
            row.name.padding(toLength: 34, withPad: " ", startingAt: 0)
                + format(row.perSecond, 0).leftPadded(13) + format(row.p50, 2).leftPadded(9)
                + format(row.p99, 2).leftPadded(9)
                + format(row.perTransaction, 1).leftPadded(26))
    }
    let baseline = rows[2].perSecond
    print("")
    print("shared (4 hosts) / NetBox-style: \(format(rows[0].perSecond / max(baseline, 0.001), 1))x")
    print(
        "block claim: first allocation of a new host p50 \(format(Double(first[first.count / 2]) / 1000, 2)) ms, "
            + "following allocations p50 \(format(Double(next[next.count / 2]) / 1000, 2)) ms: a claim costs about "
            + "\(format(Double(first[first.count / 2] - next[next.count / 2]) / 1000, 2)) ms")
    print("commit floor: one one-row INSERT at a time (its WAL fsync) p50 \(format(Double(floor[50]) / 1000, 2)) ms, "
        + "p99 \(format(Double(floor[98]) / 1000, 2)) ms")
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

let arguments = CommandLine.arguments
if arguments.count >= 9 && arguments[1] == "host" {
    await runHost(arguments)
} else if arguments.count >= 2 {
    await coordinator(url: arguments[1], seconds: arguments.count > 2 ? Double(arguments[2]) ?? 5 : 5)
} else {
    fail("usage: shared-bench URL [SECONDS]")
}
