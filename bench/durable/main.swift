// durable-bench: allocations per second of a durable pool (journal + fdatasync before each
// allocation returns, group commit across threads) with 1 and 8 threads, beside the in-memory
// pool measured in the same run. The pool directory is created under $DURABLE_BENCH_DIR
// (default: .build-durable/bench in the working directory, on the same disk as the checkout;
// /tmp may be a tmpfs elsewhere) and removed afterwards; its file system type is printed.
import Foundation
import SchedulerPool

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("durable-bench: " + message + "\n").utf8))
    exit(1)
}

/// Seconds since an arbitrary start, monotonic.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Runs `body(thread)` on `threads` threads started together; returns the wall time in seconds.
func timeThreads(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
    let ready = DispatchGroup()
    let done = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for thread in 0..<threads {
        ready.enter()
        done.enter()
        let worker = Thread {
            ready.leave()
            start.wait()
            body(thread)
            done.leave()
        }
        worker.stackSize = 1 << 20
        worker.start()
    }
    ready.wait()
    let begin = now()
    for _ in 0..<threads { start.signal() }
    done.wait()
    return now() - begin
}

/// The file system type and device of the mount that holds `path` (from /proc/self/mounts).
func fileSystem(_ path: String) -> String {
    guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return "unknown" }
    var best: (point: String, description: String) = ("", "unknown")
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 3 else { continue }
        let point = fields[1]
        let inside = path == point || path.hasPrefix(point.hasSuffix("/") ? point : point + "/")
        if inside && point.count >= best.point.count {
            best = (
                point, fields[2] + " on " + fields[0] + (fields[2] == "tmpfs" ? " (memory: fsync costs nothing)" : "")
            )
        }
    }
    return best.description
}

/// Allocates `perThread` addresses on each of `threads` threads (distinct owners); allocations/s.
func allocationsPerSecond(_ pool: IPPool, threads: Int, perThread: Int, tag: String) -> Double {
    let failures = ManagedAtomicCounter()
    let seconds = timeThreads(threads) { thread in
        for index in 0..<perThread {
            do {
                _ = try pool.allocate(
                    subinstance: tag + String(thread), resource: String(index), type: .custom("bench"))
            } catch {
                failures.add()
            }
        }
    }
    if failures.value > 0 { fail("\(failures.value) allocations failed") }
    return Double(threads * perThread) / seconds
}

/// A counter behind a lock (failures are rare; speed does not matter here).
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// The bare disk: 64-byte appends each followed by fdatasync, per second (the bound of one
/// thread that syncs every record itself), in a file of `directory`.
func fdatasyncsPerSecond(in directory: String, count: Int) -> Double {
    let path = directory + "/fdatasync-probe"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
    guard fd >= 0 else { fail("open \(path): errno \(errno)") }
    defer {
        close(fd)
        unlink(path)
    }
    let record = [UInt8](repeating: 0x5A, count: 64)
    let begin = now()
    for _ in 0..<count {
        guard record.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) == 64, fdatasync(fd) == 0 else {
            fail("write/fdatasync \(path): errno \(errno)")
        }
    }
    return Double(count) / (now() - begin)
}

let base =
    ProcessInfo.processInfo.environment["DURABLE_BENCH_DIR"]
    ?? (FileManager.default.currentDirectoryPath + "/.build-durable/bench")
try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
let directory = base + "/run-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: directory) }
print(
    "durable-bench: pool directory \(directory) on \(fileSystem(base)); \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
)
print("durable-bench: each figure is the median of 3 runs; every durable allocation is fdatasync'ed before it returns")

let rounds = 3
try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let bareSyncs = median((0..<rounds).map { _ in fdatasyncsPerSecond(in: directory, count: 1000) })
var results: [(label: String, memory: Double, durable: Double)] = []
var batches: [Double] = []
for threads in [1, 8] {
    let durablePerThread = threads == 1 ? 1500 : 2500
    let memoryPerThread = 100_000 / threads
    var memory: [Double] = []
    var durable: [Double] = []
    var perSync: [Double] = []
    for round in 0..<rounds {
        let inMemory = IPPool(name: "memory")
        do { try inMemory.addCIDRRange("10.0.0.0/12") } catch { fail("\(error)") }
        memory.append(allocationsPerSecond(inMemory, threads: threads, perThread: memoryPerThread, tag: "m"))
        let pool: IPPool
        do {
            pool = try IPPool(name: "bench-\(threads)-\(round)", storageDirectory: directory)
            try pool.addCIDRRange("10.0.0.0/12")
        } catch {
            fail("open: \(error)")
        }
        durable.append(allocationsPerSecond(pool, threads: threads, perThread: durablePerThread, tag: "d"))
        if let journal = pool.journalStatistics, journal.syncs > 0 {
            perSync.append(Double(journal.recordsWritten) / Double(journal.syncs))
        }
        // Reopening recovers every allocation (a check, not a measurement).
        do {
            let reopened = try IPPool(name: "bench-\(threads)-\(round)", storageDirectory: directory)
            let expected = AddressCount(UInt128(threads * durablePerThread))
            if reopened.statistics.allocated != expected { fail("reopened pool lost allocations") }
        } catch {
            fail("reopen: \(error)")
        }
    }
    results.append(("\(threads) thread" + (threads == 1 ? "" : "s"), median(memory), median(durable)))
    batches.append(median(perSync))
}

func format(_ value: Double) -> String { String(format: "%12.0f", value) }
print("")
print("threads    in-memory alloc/s   durable alloc/s   durable / in-memory")
for result in results {
    print(
        result.label.padding(toLength: 10, withPad: " ", startingAt: 0) + format(result.memory) + "      "
            + format(result.durable) + "      " + String(format: "%.4f", result.durable / result.memory))
}
print("")
print(String(format: "peer: bare 64-byte append + fdatasync on the same disk: %.0f/s", bareSyncs))
if let single = results.first, let eight = results.last {
    print(String(format: "durable 1 thread / bare fdatasync: %.2f", single.durable / bareSyncs))
    print(
        String(format: "journal records per fdatasync: %.2f with 1 thread, %.2f with 8 threads", batches[0], batches[1])
    )
    print(
        String(
            format:
                "durable 8 threads / durable 1 thread: %.2fx (group commit: one fdatasync covers the records of every waiting thread)",
            eight.durable / single.durable))
    print(
        String(
            format: "target >= 20000 durable allocations/s with 8 threads: %@ (%.0f)",
            eight.durable >= 20_000 ? "met" : "NOT met", eight.durable))
}
