import Foundation
import TestSupport
import Testing

@testable import SchedulerPool

/// A child process (Tests/PoolCrashChild) whose stdout is a pipe.
struct DurableChild {
    let pid: pid_t
    let output: Int32

    /// The PoolCrashChild executable, built beside this test bundle.
    static func executable() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = (me as NSString).deletingLastPathComponent + "/PoolCrashChild"
        try #require(
            FileManager.default.isExecutableFile(atPath: path), "missing \(path): build the PoolCrashChild target")
        return path
    }

    /// Starts the child with `arguments`.
    static func spawn(_ arguments: [String]) throws -> DurableChild {
        let path = try executable()
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        // Close-on-exec, so that other children never hold the write end open (dup2 clears it on 1).
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
        try #require(result == 0, "posix_spawn \(path): errno \(result)")
        return DurableChild(pid: pid, output: fds[0])
    }

    /// Reads stdout until it holds `count` newlines (or the child closed it).
    func readLines(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.lazy.filter({ $0 == 10 }).count < count {
            let got = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            bytes += buffer[0..<got]
        }
        return bytes
    }

    /// Reads stdout to its end (the child exited or was killed), after `start`, and closes the pipe.
    func readAll(after start: [UInt8] = []) -> String {
        var bytes = start
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            bytes += buffer[0..<got]
        }
        close(output)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for the child; returns its wait status.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// The whole lines of `text` (a line cut by a kill is dropped) as (kind, resource, address),
    /// and the resource of an operation that was started (`a`/`r` line) but not seen to return.
    static func events(_ text: String) -> (
        done: [(kind: Substring, resource: String, ip: IPAddress)], inFlight: String?
    ) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a line the kill cut
        var done: [(kind: Substring, resource: String, ip: IPAddress)] = []
        var inFlight: String? = nil
        for line in lines {
            let fields = line.split(separator: " ")
            if fields.count == 2 {
                inFlight = String(fields[1])
            } else if fields.count == 3, let ip = IPAddress(String(fields[2])) {
                done.append((fields[0], String(fields[1]), ip))
                inFlight = nil
            }
        }
        return (done, inFlight)
    }
}

/// Durable pools across processes: SIGKILL at random moments, two processes on one directory.
@Suite("Durable IPPool across processes", .serialized, .timeLimit(.minutes(3)))
struct DurableProcessTests {
    /// 60 times: a child allocates and releases until SIGKILL while this process allocates and
    /// releases on the same pool; the reopened pool holds every allocation either saw return,
    /// nothing twice, with counts that match, and this process's open pool agrees with it.
    @Test func survivesSIGKILLAtRandomMoments() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        var generator = SystemRandomNumberGenerator()
        // The other process: this one, on a pool it keeps open through every kill.
        let parent = try IPPool(name: "crash", storageDirectory: directory.path)
        try parent.addCIDRRange("10.20.0.0/26")
        var parentHeld: [String: IPAddress] = [:]
        // What the pool must hold for each resource of subinstance "c", as of the last reopening.
        var model: [String: IPAddress] = [:]
        var operations = 0
        var discarded = 0
        for round in 0..<60 {
            let child = try DurableChild.spawn(["churn", directory.path, String(round + 1)])
            // The kill comes after a random number of operations (so a slow machine still does
            // some work each round) plus a random delay (so it lands anywhere inside one).
            let start = child.readLines(Int.random(in: 0...40, using: &generator))
            // This process takes the lock from the running child (and meets its compactions).
            parentHeld["round-\(round)"] = try parent.allocate(
                subinstance: "p", resource: "round-\(round)", type: .vm("p"))
            if round >= 3 {
                try parent.release(subinstance: "p", resource: "round-\(round - 3)")
                parentHeld["round-\(round - 3)"] = nil
            }
            usleep(UInt32.random(in: 0...2_000, using: &generator))
            kill(child.pid, SIGKILL)
            let output = child.readAll(after: start)
            let status = child.wait()
            #expect(status & 0x7F == SIGKILL, "round \(round): the child ended before the kill: \(output.suffix(300))")
            var returned = model
            var released: Set<String> = []
            let (events, inFlight) = DurableChild.events(output)
            for event in events {
                operations += 1
                if event.kind == "A" {
                    returned[event.resource] = event.ip
                    released.remove(event.resource)
                } else {
                    #expect(returned[event.resource] == event.ip, "round \(round): release of an unknown allocation")
                    returned[event.resource] = nil
                    released.insert(event.resource)
                }
            }
            let pool = try IPPool(name: "crash", storageDirectory: directory.path)
            discarded += pool.recoveryReport?.discardedTails.count ?? 0
            // The operation the kill interrupted may or may not have happened; every other one must have.
            if let inFlight { returned[inFlight] = nil }
            for (resource, ip) in returned {
                #expect(
                    pool.binding(subinstance: "c", resource: resource)?.ip == ip,
                    "round \(round): \(resource) saw \(ip) returned, the pool lost it")
            }
            // A resource whose release returned holds nothing, unless an allocation that had not
            // yet returned when the kill came made it hold a new address.
            for resource in released {
                if let ip = pool.binding(subinstance: "c", resource: resource)?.ip {
                    #expect(!returned.values.contains(ip), "round \(round): \(ip) is held twice")
                }
            }
            for (resource, ip) in parentHeld {
                #expect(
                    pool.binding(subinstance: "p", resource: resource)?.ip == ip, "round \(round): lost \(resource)")
            }
            #expect(pool.bindings(subinstance: "p").count == parentHeld.count)
            expectConsistent(pool)
            try parent.synchronize()
            // The pool this process kept open (caught up) and the reopened one agree, generations too.
            let summary = { (pool: IPPool) in
                pool.allBindings().map { "\($0.ip) \($0.subinstance)/\($0.resource) #\($0.generation)" }
            }
            #expect(summary(parent) == summary(pool), "round \(round)")
            model = [:]
            for binding in pool.allBindings() where binding.subinstance == "c" { model[binding.resource] = binding.ip }
        }
        #expect(operations > 400, "the children did too little between kills to test anything")
        let epochs = try IPPool(name: "crash", storageDirectory: directory.path).recoveryReport?.snapshotEpoch ?? 0
        #expect(epochs > 0, "no compaction happened: the kills never met a snapshot")
        print(
            "crash test: 60 SIGKILLs, \(operations) returned operations checked, \(epochs) compactions, \(discarded) torn tails cut"
        )
    }

    /// A journal that cannot grow (RLIMIT_FSIZE: a real EFBIG from pwrite, as a full disk gives
    /// ENOSPC) refuses the allocation with a typed error naming the call, the file and the errno;
    /// the half-written record is cut off, memory and disk keep exactly what was returned.
    @Test func aJournalThatCannotGrowRefusesCleanly() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "limited", storageDirectory: directory.path)
            try pool.addCIDRRange("10.22.0.0/24")
        }
        let child = try DurableChild.spawn(["limit", directory.path, "500"])
        let output = child.readAll()
        #expect(child.wait() == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        let returned = DurableChild.events(output).done
        #expect(returned.count > 3 && returned.count < 20, "\(output)")
        let errors = lines.filter { $0.hasPrefix("E ") }
        #expect(errors.count == 2)
        #expect(
            errors.allSatisfy {
                $0.contains("pwrite " + directory.path + "/limited.journal: File too large (EFBIG, errno 27)")
            }, "\(errors)")
        #expect(lines.last == "C \(returned.count)")
        let pool = try IPPool(name: "limited", storageDirectory: directory.path)
        #expect(pool.recoveryReport?.isClean == true, "the partial record was left behind")
        #expect(pool.allBindings().map(\.ip) == returned.map(\.ip))
        expectConsistent(pool)
    }

    /// Two processes fill one pool at once: no address is handed to both, and both see all.
    @Test func twoProcessesAllocateAtOnceWithoutDuplicates() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "shared", storageDirectory: directory.path)
            try pool.addCIDRRange("10.21.0.0/22")
        }
        let first = try DurableChild.spawn(["fill", directory.path, "p1", "400"])
        let second = try DurableChild.spawn(["fill", directory.path, "p2", "400"])
        let ready = [first.readLines(1), second.readLines(1)]
        #expect(ready.allSatisfy { String(decoding: $0, as: UTF8.self).hasPrefix("ready\n") })
        #expect(FileManager.default.createFile(atPath: directory.path + "/go", contents: nil))
        let outputs = [first.readAll(after: ready[0]), second.readAll(after: ready[1])]
        #expect(first.wait() == 0)
        #expect(second.wait() == 0)
        let events = outputs.flatMap { DurableChild.events($0).done }
        #expect(events.count == 800)
        let ips = events.map(\.ip)
        #expect(Set(ips).count == ips.count, "an address was handed to both processes")
        // Each process got addresses between the other's: they really allocated at the same time.
        let firstIPs = Set(DurableChild.events(outputs[0]).done.map(\.ip))
        let interleaved = ips.sorted().indices.dropFirst().filter { index in
            firstIPs.contains(ips.sorted()[index]) != firstIPs.contains(ips.sorted()[index - 1])
        }
        print("two processes: 800 allocations, \(interleaved.count) alternations between them in address order")
        // One alternation is what two processes one after the other give; the lock must pass
        // back and forth while both allocate.
        #expect(interleaved.count >= 20, "only \(interleaved.count) alternations: the processes did not interleave")
        let pool = try IPPool(name: "shared", storageDirectory: directory.path)
        for event in events {
            #expect(pool.binding(for: event.ip)?.resource == event.resource)
        }
        #expect(pool.allBindings().count == 800)
        expectConsistent(pool)
    }
}
