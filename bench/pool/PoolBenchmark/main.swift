// pool-bench: the IP pool through its public Swift API, beside a linear-scan peer measured in
// the same run. Memory cases run in a fresh child process each (this executable, re-run with
// `--child <case>`), so that their peak RSS (VmHWM) is theirs alone.
import CLinearScan
import CSchedulerAllocator
import Foundation
import SchedulerPool

/// SplitMix64, so that every run makes the same choices.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }
}

/// A line of the /proc/self/status table in MiB ("VmHWM", "VmRSS").
func procStatusMiB(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
        return kib / 1024
    }
    return -1
}

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("pool-bench: " + message + "\n").utf8))
    exit(1)
}

/// Allocates `count` addresses for resources r0, r1, ... of subinstance "bench".
func fill(_ pool: IPPool, count: Int, resources: [String]) -> [IPAddress] {
    var held: [IPAddress] = []
    held.reserveCapacity(count)
    for index in 0..<count {
        do {
            held.append(try pool.allocate(subinstance: "bench", resource: resources[index], type: .custom("bench")))
        } catch {
            fail("fill: \(error)")
        }
    }
    return held
}

// MARK: - Child processes: the memory cases

/// Runs one memory case and prints `key=value` lines for the parent.
func runChild(_ name: String) {
    let clock = ContinuousClock()
    switch name {
    case "baseline":
        print("hwm=\(procStatusMiB("VmHWM"))")
    case "slash8":
        let pool = IPPool(name: "slash8")
        do { try pool.addCIDRRange("127.0.0.0/8") } catch { fail("\(error)") }
        let resources = (0..<1_000_000).map { "r\($0)" }
        let before = procStatusMiB("VmRSS")
        let start = clock.now
        let held = fill(pool, count: 1_000_000, resources: resources)
        let elapsed = clock.now - start
        print("ns=\(nanoseconds(elapsed) / 1e6)")
        print("rss_before=\(before)")
        print("hwm=\(procStatusMiB("VmHWM"))")
        print("allocator=\(pool.statistics.allocatorBytes)")
        // Checked after the peak was read: the check's own Set would add to it.
        guard Set(held).count == held.count else { fail("duplicate address in /8") }
    case "slash64":
        let pool = IPPool(name: "slash64")
        do { try pool.addCIDRRange("fd00:5ced::/64") } catch { fail("\(error)") }
        let resources = (0..<200_000).map { "r\($0)" }
        let before = procStatusMiB("VmRSS")
        var held: [IPAddress] = []
        var elapsed = Duration.zero
        for checkpoint in [50_000, 100_000, 200_000] {
            let start = clock.now
            for index in held.count..<checkpoint {
                do {
                    held.append(try pool.allocate(subinstance: "bench", resource: resources[index], type: .custom("b")))
                } catch { fail("\(error)") }
            }
            elapsed += clock.now - start
            print("rss_\(checkpoint)=\(procStatusMiB("VmRSS") - before)")
            print("allocator_\(checkpoint)=\(pool.statistics.allocatorBytes)")
        }
        print("ns=\(nanoseconds(elapsed) / 200_000)")
        print("rss_before=\(before)")
        print("hwm=\(procStatusMiB("VmHWM"))")
    case "churn":
        // Only the /16 churn through the Swift API, for profilers (callgrind, perf).
        print("ns=\(poolChurn("10.0.0.0/16", count: churnFill))")
    default:
        fail("unknown child case \(name)")
    }
}

/// Runs this executable with `--child name` and returns its `key=value` lines.
func child(_ name: String) -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    process.arguments = ["--child", name]
    let output = Pipe()
    process.standardOutput = output
    do { try process.run() } catch { fail("cannot start child \(name): \(error)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fail("child \(name) exited with \(process.terminationStatus)") }
    var values: [String: Double] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
    }
    return values
}

// MARK: - The run

let slash16Usable = 65_534
let resources = (0..<slash16Usable).map { "r\($0)" }
let churnFill = slash16Usable - 65  // 65469 of 65534 = 99.9 %
let churnRounds = 300_000

if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "--child" {
    runChild(CommandLine.arguments[2])
    exit(0)
}

let clock = ContinuousClock()
/// Prints one row of the table: case, measured value, note.
func row(_ name: String, _ value: String, _ note: String = "") {
    func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
    print(padded(name, 50) + padded(value, 28) + note)
}
func format(_ value: Double, _ unit: String) -> String { String(format: "%.1f ", value) + unit }

// `pool-bench --contention`: only the contention table (Contention.swift).
if CommandLine.arguments.contains("--contention") {
    contentionTable()
    exit(0)
}

row("case", "value", "note")
print("pool-bench: IPPool through the public Swift API; peer: C linear scan, measured in this run")

// (1) Fill a /16.
do {
    var best = Double.infinity
    for _ in 0..<3 {
        let pool = IPPool(name: "fill")
        try! pool.addCIDRRange("10.0.0.0/16")
        let start = clock.now
        let held = fill(pool, count: slash16Usable, resources: resources)
        best = min(best, nanoseconds(clock.now - start) / Double(held.count))
        guard (try? pool.allocate(subinstance: "x", resource: "x", type: .vm("x"))) == nil else { fail("/16 not full") }
    }
    row("(1) fill a /16 (65534 allocations)", format(best, "ns/alloc"), "best of 3")
}

// (2) Churn at 99.9 % full on a /16: release one random address, allocate one.

/// The best of five timed runs of `rounds` churn steps, each on a random element of `held`
/// (the same random sequence for every allocator); nanoseconds per step. Every churn keeps what
/// it holds in this same harness array of 32-bit integers (IPv4 values for the pool, offsets
/// for the C peers), so that the harness's own memory traffic is the same for all of them.
/// `among` limits the choice to the first `among` elements (default: all).
func churn(_ held: inout [UInt32], rounds: Int, among: Int? = nil, step: (inout UInt32) -> Void) -> Double {
    var random = SplitMix(state: 42)
    var best = Double.infinity
    let choices = min(among ?? held.count, held.count)
    for _ in 0..<5 {
        let start = clock.now
        for _ in 0..<rounds { step(&held[random.below(choices)]) }
        best = min(best, nanoseconds(clock.now - start) / Double(rounds))
    }
    return best
}

/// Churn through the Swift API on `cidr` filled with `count` owners, releasing addresses chosen
/// among the first `among` held (default: all of them).
func poolChurn(_ cidr: String, count: Int, among: Int? = nil) -> Double {
    let pool = IPPool(name: "churn")
    try! pool.addCIDRRange(cidr)
    var held = fill(pool, count: count, resources: resources).map { $0.ipv4Value! }
    let best = churn(&held, rounds: churnRounds, among: among) { value in
        do {
            let released = try pool.release(IPAddress(ipv4: value))
            let ip = try pool.allocate(
                subinstance: released.subinstance, resource: released.resource, type: released.type)
            value = ip.ipv4Value!
        } catch {
            fail("churn: \(error)")
        }
    }
    guard Set(held).count == held.count, pool.statistics.allocated == AddressCount(UInt128(count)) else {
        fail("churn broke the pool")
    }
    return best
}

let swiftChurn = poolChurn("10.0.0.0/16", count: churnFill)
row("(2) churn 99.9% /16, IPPool (Swift API)", format(swiftChurn, "ns/release+alloc"), "target <= 250 ns")
// The same at 1/64 of the size, where the owner and address indexes stay in the CPU caches.
let smallChurn = poolChurn("10.0.0.0/22", count: 1021)
row("    same churn on a /22 (1021 of 1022 held)", format(smallChurn, "ns/release+alloc"), "cache-resident")
// The same /16 pool, releasing only among 1,024 of its addresses: the same structures and code,
// but the lines a step touches stay in the caches. The gap to the full churn is cache misses.
let hotChurn = poolChurn("10.0.0.0/16", count: churnFill, among: 1024)
row("    same /16 churn among 1024 of its addresses", format(hotChurn, "ns/release+alloc"), "cache-resident")

/// The same churn on the linear-scan peer.
func linearChurn(wordwise: Bool, rounds: Int) -> Double {
    var bitmap: OpaquePointer? = nil
    guard clinearscan_create(65_536, 7, &bitmap) == 0, let bitmap else { fail("clinearscan_create") }
    defer { clinearscan_destroy(bitmap) }
    let allocate = wordwise ? clinearscan_allocate_wordwise : clinearscan_allocate_bitwise
    // Two bits more than the pool holds stand for its network and broadcast addresses: all
    // three allocators churn with the same 65 free addresses.
    var held: [UInt32] = []
    for _ in 0..<(churnFill + 2) {
        let offset = allocate(bitmap)
        guard offset >= 0 else { fail("linear fill") }
        held.append(UInt32(offset))
    }
    return churn(&held, rounds: rounds) { offset in
        guard clinearscan_release(bitmap, UInt64(offset)) == 0 else { fail("linear release") }
        let next = allocate(bitmap)
        guard next >= 0 else { fail("linear allocate") }
        offset = UInt32(next)
    }
}

/// The same churn on the pool's C allocator alone (no owner bookkeeping, no lock).
func allocatorChurn(rounds: Int) -> Double {
    var allocator: OpaquePointer? = nil
    guard cschedalloc_create(16, &allocator) == 0, let allocator else { fail("cschedalloc_create") }
    defer { cschedalloc_destroy(allocator) }
    var held: [UInt32] = []
    for _ in 0..<(churnFill + 2) {
        var offset = cschedalloc_offset()
        guard cschedalloc_allocate(allocator, &offset) == 0 else { fail("cschedalloc fill") }
        held.append(UInt32(offset.low))
    }
    return churn(&held, rounds: rounds) { held in
        var offset = cschedalloc_offset(high: 0, low: UInt64(held))
        guard cschedalloc_unmark(allocator, offset) == 0, cschedalloc_allocate(allocator, &offset) == 0 else {
            fail("cschedalloc churn")
        }
        held = UInt32(offset.low)
    }
}

/// Nanoseconds per load in a chain of dependent loads, each to a random cache line of `bytes`
/// of memory: the price of one cache miss on this machine, for reading the churn figures (a
/// churn step through the pool makes about four such misses, one after another).
func dependentLoadLatency(bytes: Int) -> Double {
    let lines = bytes / 64
    var order = Array(0..<lines)
    var random = SplitMix(state: 9)
    order.shuffle(using: &random)
    var next = [Int](repeating: 0, count: lines * 8)  // the first Int of each 64-byte line is used
    for index in 0..<lines { next[order[index] * 8] = order[(index + 1) % lines] * 8 }
    let steps = 2_000_000
    var best = Double.infinity
    var at = 0
    for _ in 0..<3 {
        let start = clock.now
        next.withUnsafeBufferPointer { next in
            for _ in 0..<steps { at = next[at] }
        }
        best = min(best, nanoseconds(clock.now - start) / Double(steps))
    }
    if at < 0 { fail("unreachable") }
    return best
}

let raw = allocatorChurn(rounds: churnRounds)
row("(2) churn 99.9% /16, C hierarchical bitmap alone", format(raw, "ns/release+alloc"), "IPPool's allocator")
let bitwise = linearChurn(wordwise: false, rounds: 30_000)
row("(2) churn 99.9% /16, C linear scan bit by bit", format(bitwise, "ns/release+alloc"), "Kubernetes strategy")
row("    ratio linear(bitwise) / IPPool", String(format: "%.1fx", bitwise / swiftChurn), "target >= 20x")
row("    ratio linear(bitwise) / C hierarchical", String(format: "%.1fx", bitwise / raw))
let wordwise = linearChurn(wordwise: true, rounds: churnRounds)
row("(2) churn 99.9% /16, C linear scan 64-bit words", format(wordwise, "ns/release+alloc"), "stronger peer")
row("    ratio linear(words) / IPPool", String(format: "%.1fx", wordwise / swiftChurn))
row("    ratio linear(words) / C hierarchical", String(format: "%.1fx", wordwise / raw))
let missCost = dependentLoadLatency(bytes: 8 << 20)
row("    one dependent random load in 8 MiB", format(missCost, "ns/load"), "the /16 churn's working set")

// (3) 1M allocations in 127.0.0.0/8 and (4) 200k in a /64, each in a fresh process.
let baseline = child("baseline")
row("    idle child process peak RSS", format(baseline["hwm"] ?? -1, "MiB"), "runtime only")
let slash8 = child("slash8")
row("(3) 1M allocations in 127.0.0.0/8", format(slash8["ns"] ?? -1, "ns/alloc"))
row("    peak RSS (VmHWM) of that process", format(slash8["hwm"] ?? -1, "MiB"), "target < 300 MB")
row("    bitmap allocator memory", format((slash8["allocator"] ?? -1) / 1024, "KiB"))
let slash64 = child("slash64")
row("(4) 200k allocations in fd00:5ced::/64", format(slash64["ns"] ?? -1, "ns/alloc"))
row("    peak RSS (VmHWM) of that process", format(slash64["hwm"] ?? -1, "MiB"))
for checkpoint in [50_000, 100_000, 200_000] {
    let rss = slash64["rss_\(checkpoint)"] ?? -1
    let allocator = (slash64["allocator_\(checkpoint)"] ?? -1) / 1024
    row(
        "    after \(checkpoint / 1000)k: RSS growth, allocator", format(rss, "MiB") + ", " + format(allocator, "KiB"),
        String(format: "%.0f B/alloc", rss * 1_048_576 / Double(checkpoint)))
}

contentionTable()
