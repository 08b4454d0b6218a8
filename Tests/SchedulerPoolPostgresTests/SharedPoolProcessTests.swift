import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

/// Host processes (Tests/SharedPoolChild) on one pool: at once, killed, and across a server restart.
extension SharedPoolTests {
    @Suite struct SharedPoolProcessTests {
        /// Starts a host process; its stdout is read line by line.
        final class Host {
            let child: Spawned
            private(set) var status: Int32 = -1
            init(_ arguments: [String]) throws {
                child = try Spawned(try PostgresFixture.childExecutable(), [PostgresFixture.url!] + arguments)
            }

            /// Reads until `count` lines of `prefix` were seen (or the output ended); returns what was read.
            func read(untilLines count: Int, prefix: String = "A ") -> String {
                child.read(untilLines: count, prefix: prefix)
            }

            /// Reads the rest of the output and waits for the exit.
            func finish(after start: String = "") -> String {
                let rest = child.readAll()
                status = child.wait()
                return start + rest
            }
        }

        /// The (address, owner) pairs of complete "A" lines.
        static func allocations(_ text: String) -> [(ip: String, owner: String)] {
            text.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ")
                return parts.count == 3 && parts[0] == "A" ? (String(parts[1]), String(parts[2])) : nil
            }
        }

        /// Every row of the pool as "address owner".
        static func rows(_ pool: String) throws -> Set<String> {
            Set(
                try PostgresFixture.psql(
                    "SELECT host(address) || ' ' || subinstance FROM ippool_allocations WHERE pool = '\(pool)' AND subinstance IS NOT NULL"
                ).split(separator: "\n").map(String.init))
        }

        static func makePool(_ name: String, _ cidr: String) async throws {
            let pool = try await SharedIPPool.create(
                name: name, database: PostgresFixture.target, options: PostgresFixture.options("setup"))
            try await pool.addCIDRRange(cidr)
            await pool.shutdown()
        }

        @Test func fourProcessesAllocateWithoutDuplicates() async throws {
            let name = PostgresFixture.uniqueName("procs")
            try await Self.makePool(name, "10.20.0.0/20")
            let hosts = try (0..<4).map { try Host([name, "host\($0)", "150", "8", "p\($0)"]) }
            let outputs = hosts.map { $0.finish() }
            let all = outputs.flatMap(Self.allocations)
            #expect(all.count == 600)
            #expect(Set(all.map(\.ip)).count == 600, "an address was handed out twice")
            #expect(hosts.allSatisfy { $0.status == 0 })
            let rows = try Self.rows(name)
            #expect(rows == Set(all.map { $0.ip + " " + $0.owner }))
            // Group commit: fewer transactions than allocations in every process.
            for output in outputs {
                let counters = output.split(separator: "\n").first { $0.hasPrefix("C ") }?.split(separator: " ") ?? []
                #expect(counters.count == 5 && Int(counters[1])! == 150 && Int(counters[2])! < 150, "\(counters)")
            }
        }

        @Test func killedHostLosesNothingItSawReturn() async throws {
        let name = PostgresFixture.uniqueName("kill")
        try await Self.makePool(name, "10.21.0.0/20")
        let other = try Host([name, "other", "300", "8", "o"])
        var returned: [(ip: String, owner: String)] = []
        // Three victims in turn under one host name, each killed after a random number of returns.
        for round in 0..<3 {
            let victim = try Host([name, "victim", "3000", "8", "k\(round)"])
            let seen = victim.read(untilLines: Int.random(in: 20...150))
            kill(victim.child.pid, SIGKILL)
            let victimOutput = victim.finish(after: seen)
            #expect(victim.status == 128 + SIGKILL)
            returned += Self.allocations(victimOutput)
        }
        let otherOutput = other.finish()
        #expect(Self.allocations(otherOutput).count == 300)
        returned += Self.allocations(otherOutput)
        let rows = try Self.rows(name)
        for allocation in returned {
            #expect(rows.contains(allocation.ip + " " + allocation.owner), "\(allocation) returned but is not in the database")
        }
        #expect(Set(returned.map(\.ip)).count == returned.count)
        // A new process under the dead one's host name picks up its blocks and goes on.
        let again = try Host([name, "victim", "50", "4", "k9"])
        let more = Self.allocations(again.finish())
        #expect(more.count == 50 && Set(more.map(\.ip)).isDisjoint(with: rows.map { String($0.split(separator: " ")[0]) }))
    }

    @Test func serverRestartMidRun() async throws {
            try #require(PostgresFixture.directory != nil, "SCHEDULER_CORE_PG_DIR is not set")
            let name = PostgresFixture.uniqueName("restart")
            try await Self.makePool(name, "10.22.0.0/20")
            let pool = try await SharedIPPool.create(
                name: name, database: PostgresFixture.target, options: PostgresFixture.options("inproc"))
            _ = try await pool.allocate(subinstance: "before", resource: "r", type: .vm("x"))
            // 400 owners; a failed allocation is retried (idempotent) up to 100 times, 50 ms apart.
            let host = try Host([name, "restarting", "400", "4", "rs", "30000", "3000", "100"])
            let seen = host.read(untilLines: 100)
            try PostgresFixture.restartServer()
            let output = host.finish(after: seen)
            let returned = Self.allocations(output)
            let rows = try Self.rows(name)
            for allocation in returned {
                #expect(
                    rows.contains(allocation.ip + " " + allocation.owner),
                    "\(allocation) returned but is not in the database")
            }
            #expect(Set(returned.map(\.ip)).count == returned.count)
            #expect(returned.count == 400, "every owner gets its address once the server is back")
            #expect(Set(returned.map(\.owner)).count == 400)
            #expect(output.contains("\nE "), "the restart was not noticed (it came too late?)")
            // Failures during the restart are typed errors, each on one line.
            for line in output.split(separator: "\n") where line.hasPrefix("E ") {
                #expect(
                    line.contains("connection") || line.contains("timed out") || line.contains("cannot connect"),
                    "\(line)")
            }
            // The in-process pool reconnects by itself.
            let after = try await pool.allocate(subinstance: "after", resource: "r", type: .vm("x"))
            #expect(rows.allSatisfy { !$0.hasPrefix(after.description + " ") })
            #expect(pool.counters.connections >= 2)
            await pool.shutdown()
        }
    }
}
