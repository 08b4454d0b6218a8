import SchedulerPool

// pool-crash-child: the other process of the durable pool tests (Tests/SchedulerPoolTests/DurableProcessTests.swift).
//
//   PoolCrashChild churn <directory> <seed>        allocate and release at random until killed
//   PoolCrashChild fill <directory> <tag> <count>  open the pool, print `ready`, wait for the file
//                                                  <directory>/go, allocate <count> owners "<tag>-<i>", exit
//   PoolCrashChild limit <directory> <bytes>       allocate until the journal may not grow (RLIMIT_FSIZE)
//
// Each operation that returned is printed at once, unbuffered, as one line:
// `A <resource> <ip>` after an allocation, `R <resource> <ip>` after a release; churn also
// prints `a <resource>` / `r <resource>` before it starts one, so the parent knows which
// operation a kill interrupted (done or not, it is the only one in doubt). Owners are
// subinstance "c" (churn) or "<tag>" (fill). Pool "crash" or "shared" in <directory>.
#if canImport(Glibc)
    import Glibc
#endif

/// Writes one whole line to stdout with a single write(2), so a kill never splits it in the pipe.
func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let wrote = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + done, $0.count - done) }
        if wrote < 0 && errno == EINTR { continue }
        guard wrote > 0 else { exit(3) }
        done += wrote
    }
}

func fail(_ message: String) -> Never {
    var bytes = Array(("pool-crash-child: " + message + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: churn <dir> <seed> | fill <dir> <tag> <count>") }
switch arguments[1] {
case "churn":
    var seed = UInt64(arguments.count > 3 ? arguments[3] : "1") ?? 1
    func next() -> UInt64 {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    do {
        let pool = try IPPool(name: "crash", storageDirectory: arguments[2], compactionBytes: 4096)
        if pool.ranges.isEmpty { try pool.addCIDRRange("10.20.0.0/26") }
        var held: [String: IPAddress] = [:]
        for binding in pool.allBindings() where binding.subinstance == "c" { held[binding.resource] = binding.ip }
        while true {
            let resource = "o" + String(next() % 48)
            if let ip = held[resource] {
                emit("r " + resource)
                try pool.release(subinstance: "c", resource: resource)
                held[resource] = nil
                emit("R " + resource + " " + ip.description)
            } else {
                emit("a " + resource)
                let ip = try pool.allocate(subinstance: "c", resource: resource, type: .custom("crash"))
                held[resource] = ip
                emit("A " + resource + " " + ip.description)
            }
        }
    } catch {
        fail("churn: \(error)")
    }
case "fill":
    guard arguments.count == 5, let count = Int(arguments[4]) else { fail("usage: fill <dir> <tag> <count>") }
    let tag = arguments[3]
    do {
        let pool = try IPPool(name: "shared", storageDirectory: arguments[2])
        // Both processes start allocating at one moment: the parent creates `go` once both are ready.
        emit("ready")
        var waited = 0
        while access(arguments[2] + "/go", F_OK) != 0 {
            waited += 1
            if waited > 10_000 { fail("fill: no go file after 10 s") }
            usleep(1000)
        }
        for index in 0..<count {
            let resource = tag + "-" + String(index)
            let ip = try pool.allocate(subinstance: tag, resource: resource, type: .custom("fill"))
            emit("A " + resource + " " + ip.description)
        }
    } catch {
        fail("fill: \(error)")
    }
case "limit":
    // The journal may grow by <bytes> more: RLIMIT_FSIZE makes the write past it fail (EFBIG).
    guard arguments.count == 4, let extra = Int(arguments[3]) else { fail("usage: limit <dir> <bytes>") }
    do {
        let pool = try IPPool(name: "limited", storageDirectory: arguments[2])
        var info = stat()
        guard let path = pool.journalPath, stat(path, &info) == 0 else { fail("limit: no journal") }
        signal(SIGXFSZ, SIG_IGN)
        var limit = rlimit(rlim_cur: rlim_t(Int(info.st_size) + extra), rlim_max: rlim_t(Int(info.st_size) + extra))
        guard setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 else { fail("limit: setrlimit") }
        for index in 0..<1000 {
            do {
                let ip = try pool.allocate(subinstance: "l", resource: "r" + String(index), type: .custom("limit"))
                emit("A r" + String(index) + " " + ip.description)
            } catch {
                emit("E " + error.description)
                break
            }
        }
        // Refused again, and the pool in memory holds exactly what was returned.
        do {
            _ = try pool.allocate(subinstance: "l", resource: "again", type: .custom("limit"))
            emit("E again: allocated")
        } catch {
            emit("E again: " + error.description)
        }
        emit("C " + String(pool.allBindings().count))
    } catch {
        fail("limit: \(error)")
    }
default:
    fail("unknown mode " + arguments[1])
}
