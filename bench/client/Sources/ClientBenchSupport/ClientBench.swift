import Glibc

/// What one client bench run was asked to do: `URL CONNECTIONS SECONDS`.
public struct ClientBenchArguments: Sendable {
    /// The URL every request gets (a loopback `http://` URL).
    public let url: String
    /// Concurrent requests in flight, each on its own keep-alive connection.
    public let connections: Int
    /// How long the measured part runs, after a warm-up of one request per connection.
    public let seconds: Double

    /// Reads the command line; exits with a usage line when it does not fit.
    public init(program: String) {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let connections = Int(arguments[2]), connections > 0,
            let seconds = Double(arguments[3]), seconds > 0
        else {
            fputs("usage: \(program) URL CONNECTIONS SECONDS\n", stderr)
            exit(2)
        }
        (url, self.connections, self.seconds) = (arguments[1], connections, seconds)
    }
}

/// This process's user + system CPU seconds so far.
public func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Seconds on the monotonic clock.
public func monotonicNow() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Runs `connections` loops of `request` (each returns the body's byte count, or throws) for
/// `seconds` after one warm-up request per loop, then prints one JSON line: requests, errors,
/// seconds, CPU seconds of the process during the measured part, and body bytes.
public func runClientBench(
    _ arguments: ClientBenchArguments, request: @escaping @Sendable () async throws -> Int
) async {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<arguments.connections { group.addTask { _ = try? await request() } }
    }
    let cpuStart = processCPUSeconds()
    let start = monotonicNow()
    let end = start + arguments.seconds
    let totals = await withTaskGroup(of: (Int, Int, Int).self) { group in
        for _ in 0..<arguments.connections {
            group.addTask {
                var (done, failed, bytes) = (0, 0, 0)
                while monotonicNow() < end {
                    do {
                        bytes += try await request()
                        done += 1
                    } catch {
                        failed += 1
                        if failed == 1 { fputs("request failed: \(error)\n", stderr) }
                    }
                }
                return (done, failed, bytes)
            }
        }
        var sum = (0, 0, 0)
        for await part in group { sum = (sum.0 + part.0, sum.1 + part.1, sum.2 + part.2) }
        return sum
    }
    let elapsed = monotonicNow() - start
    let cpu = processCPUSeconds() - cpuStart
    print(
        "{\"requests\": \(totals.0), \"errors\": \(totals.1), \"seconds\": \(elapsed), \"cpu_seconds\": \(cpu), \"bytes\": \(totals.2)}"
    )
}
