import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

/// Several hosts (pool objects, processes) on one pool: blocks, borrowing, takeover, exhaustion.
extension SharedPoolTests {
    @Suite struct SharedPoolHostsTests {
        func open(_ name: String, _ host: String, lease: Duration = .seconds(30), create: Bool = true) async throws
            -> SharedIPPool
        {
            let options = PostgresFixture.options(host, lease: lease)
            return create
                ? try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
                : try await SharedIPPool.open(name: name, database: PostgresFixture.target, options: options)
        }

        @Test func concurrentObjectsNeverShareAnAddress() async throws {
            let name = PostgresFixture.uniqueName("objects")
            let pools = [try await open(name, "h1"), try await open(name, "h2"), try await open(name, "h3")]
            try await pools[0].addCIDRRange("10.2.0.0/24")
            let results = try await withThrowingTaskGroup(of: IPAddress.self) { group in
                for index in 0..<150 {
                    group.addTask {
                        try await pools[index % 3].allocate(subinstance: "s\(index)", resource: "r", type: .custom("t"))
                    }
                }
                return try await group.reduce(into: [IPAddress]()) { $0.append($1) }
            }
            #expect(Set(results).count == 150)
            #expect(
                try PostgresFixture.psql(
                    "SELECT count(DISTINCT address) FROM ippool_allocations WHERE pool = '\(name)'") == "150\n")
            // Each object claimed blocks of its own: group commit put several allocations per transaction.
            let counters = pools.map(\.counters)
            #expect(counters.allSatisfy { $0.blockClaims >= 1 })
            #expect(counters.reduce(0) { $0 + $1.allocations } == 150)
            #expect(counters.reduce(0) { $0 + $1.allocationTransactions } < 150)
            for pool in pools { await pool.shutdown() }
        }

        @Test func borrowsWhenEveryBlockIsClaimed() async throws {
            let name = PostgresFixture.uniqueName("borrow")
            var options = PostgresFixture.options("a")
            options.blockPrefixV4 = 29
            let a = try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
            try await a.addCIDRRange("10.3.0.0/28")
            // 7 usable in 10.3.0.0/29 (.0 reserved), then a's second block 10.3.0.8/29 (.15 reserved).
            for index in 0..<8 { _ = try await a.allocate(subinstance: "a\(index)", resource: "r", type: .vm("x")) }
            #expect(a.counters.blockClaims == 2)
            let b = try await open(name, "b")
            let borrowed = try await b.allocate(subinstance: "b0", resource: "r", type: .vm("x"))
            #expect(borrowed == IPAddress("10.3.0.9"))
            #expect(b.counters.borrowed == 1 && b.counters.blockClaims == 0)
            // a does not hand out the borrowed address: its insert conflicts and it moves on.
            let next = try await a.allocate(subinstance: "a8", resource: "r", type: .vm("x"))
            #expect(next == IPAddress("10.3.0.10"))
            await a.shutdown()
            await b.shutdown()
        }

        @Test func exhaustionAcrossHostsKeepsIdempotence() async throws {
            let name = PostgresFixture.uniqueName("exhaust")
            var options = PostgresFixture.options("a")
            options.blockPrefixV4 = 30
            let a = try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
            let b = try await open(name, "b")
            try await a.addCIDRRange("10.4.0.0/29")
            var got: [IPAddress] = []
            var exhausted = 0
            for index in 0..<10 {
                let result = await outcome { () async throws(SharedPoolError) -> IPAddress in
                    try await (index % 2 == 0 ? a : b).allocate(subinstance: "s\(index)", resource: "r", type: .vm("x"))
                }
                switch result {
                case .success(let ip): got.append(ip)
                case .failure(let error):
                    #expect(error == SharedPoolError.pool(.exhausted(pool: name)))
                    exhausted += 1
                }
            }
            #expect(got.count == 6 && Set(got).count == 6 && exhausted == 4)
            // An owner that holds an address gets it back even from a full pool, from either host.
            #expect(try await b.allocate(subinstance: "s0", resource: "r", type: .vm("x")) == got[0])
            await a.shutdown()
            await b.shutdown()
        }

        @Test func deadHostsBlocksAreTakenOverAfterTheLease() async throws {
            let name = PostgresFixture.uniqueName("takeover")
            var options = PostgresFixture.options("dead", lease: .milliseconds(300))
            options.blockPrefixV4 = 29
            let dead = try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
            try await dead.addCIDRRange("10.5.0.0/28")
            let kept = try await dead.allocate(subinstance: "old", resource: "r", type: .vm("x"))
            await dead.shutdown()  // no more lease renewals: as if the host died
            let b = try await open(name, "b", lease: .seconds(30))
            for index in 0..<7 { _ = try await b.allocate(subinstance: "b\(index)", resource: "r", type: .vm("x")) }
            #expect(b.counters.blockClaims == 1)
            try await Task.sleep(for: .milliseconds(400))
            let taken = try await b.allocate(subinstance: "b7", resource: "r", type: .vm("x"))
            #expect(taken == IPAddress("10.5.0.2"))  // .1 stays with its owner
            #expect(b.counters.blockClaims == 2 && b.counters.borrowed == 0)
            #expect(try await b.binding(for: kept)?.subinstance == "old")
            #expect(
                try PostgresFixture.psql(
                    "SELECT host FROM ippool_blocks WHERE pool = '\(name)' AND cidr = '10.5.0.0/29'") == "b\n")
            await b.shutdown()
        }

        @Test func liveHostsRenewTheirLeases() async throws {
        let name = PostgresFixture.uniqueName("renew")
        var options = PostgresFixture.options("alive", lease: .milliseconds(600))
        options.blockPrefixV4 = 29
        let alive = try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
        try await alive.addCIDRRange("10.5.1.0/28")
        _ = try await alive.allocate(subinstance: "a", resource: "r", type: .vm("x"))
        let b = try await open(name, "b")
        for index in 0..<7 { _ = try await b.allocate(subinstance: "b\(index)", resource: "r", type: .vm("x")) }
        // Two lease lengths later, the idle but living host (renewing every 200 ms) still holds its block: b borrows.
        try await Task.sleep(for: .milliseconds(1300))
        let next = try await b.allocate(subinstance: "b7", resource: "r", type: .vm("x"))
        #expect(next == IPAddress("10.5.1.2"))
        #expect(b.counters.blockClaims == 1 && b.counters.borrowed == 1)
        #expect(
            try PostgresFixture.psql("SELECT host FROM ippool_blocks WHERE pool = '\(name)' AND cidr = '10.5.1.0/29'") == "alive\n")
        await alive.shutdown()
        await b.shutdown()
    }

    @Test func reconcileReleasesEveryHostsDeadOwners() async throws {
            let name = PostgresFixture.uniqueName("reconcile")
            let a = try await open(name, "a")
            let b = try await open(name, "b")
            try await a.addCIDRRange("10.6.0.0/24")
            _ = try await a.allocate(subinstance: "live", resource: "r1", type: .vm("x"))
            let gone = try await a.allocate(subinstance: "gone", resource: "r1", type: .vm("x"))
            _ = try await b.allocate(subinstance: "gone", resource: "r2", type: .vm("x"))
            _ = try await b.allocate(subinstance: "live", resource: "r2", type: .vm("x"))
            let released = try await b.reconcile(liveOwners: ["live"])
            #expect(released.map(\.subinstance) == ["gone", "gone"])
            #expect(released.first?.ip == gone)
            #expect(try await a.bindings(subinstance: "live").count == 2)
            #expect(try await a.allBindings().count == 2)
            // a reuses what b released in a's block once its own block is full or reread.
            await a.shutdown()
            await b.shutdown()
        }

        @Test func ipv6SlashSixtyFourInSlash122Blocks() async throws {
            let name = PostgresFixture.uniqueName("v6")
            let a = try await open(name, "a")
            let b = try await open(name, "b")
            try await a.addCIDRRange("fd00:1:2:3::/64")
            let addresses = try await withThrowingTaskGroup(of: IPAddress.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await (index % 2 == 0 ? a : b).allocate(
                            subinstance: "v\(index)", resource: "r", type: .container("c"))
                    }
                }
                return try await group.reduce(into: [IPAddress]()) { $0.append($1) }
            }
            #expect(Set(addresses).count == 200)
            #expect(!addresses.contains(IPAddress("fd00:1:2:3::")!))  // the subnet-router anycast address
            #expect(addresses.allSatisfy { IPNetwork("fd00:1:2:3::/64")!.contains($0) })
            let blocks = try PostgresFixture.psql(
                "SELECT count(*) FROM ippool_blocks WHERE pool = '\(name)' AND masklen(cidr) = 122")
            #expect(Int(blocks.trimmingCharacters(in: .whitespacesAndNewlines))! >= 4)
            let stats = try await a.statistics()
            #expect(stats.allocated == 200 && stats.total == AddressCount(UInt128(1) << 64) - 1)
            await a.shutdown()
            await b.shutdown()
        }

        @Test func explicitAddressesAndQuarantine() async throws {
            let name = PostgresFixture.uniqueName("quarantine")
            var options = PostgresFixture.options("a")
            options.quarantine = .milliseconds(300)
            let pool = try await SharedIPPool.create(name: name, database: PostgresFixture.target, options: options)
            try await pool.addCIDRRange("10.7.0.0/24")
            let ip = IPAddress("10.7.0.50")!
            #expect(try await pool.allocate(ip, subinstance: "x", resource: "r", type: .vm("v")) == ip)
            #expect(try await pool.allocate(ip, subinstance: "x", resource: "r", type: .vm("v")) == ip)
            await #expect(throws: SharedPoolError.pool(.addressHeldByAnotherOwner(ip, subinstance: "x", resource: "r")))
            {
                try await pool.allocate(ip, subinstance: "y", resource: "r", type: .vm("v"))
            }
            await #expect(
                throws: SharedPoolError.pool(.ownerHoldsAnotherAddress(subinstance: "x", resource: "r", held: ip))
            ) {
                try await pool.allocate(IPAddress("10.7.0.51")!, subinstance: "x", resource: "r", type: .vm("v"))
            }
            await #expect(
                throws: SharedPoolError.pool(
                    .reservedAddress(IPAddress("10.7.0.255")!, range: IPNetwork("10.7.0.0/24")!))
            ) {
                try await pool.allocate(IPAddress("10.7.0.255")!, subinstance: "z", resource: "r", type: .vm("v"))
            }
            await #expect(throws: SharedPoolError.pool(.addressOutsideRanges(IPAddress("10.8.0.1")!, pool: name))) {
                try await pool.allocate(IPAddress("10.8.0.1")!, subinstance: "z", resource: "r", type: .vm("v"))
            }
            #expect(try await pool.release(ip).subinstance == "x")
            let refused = await outcome { () async throws(SharedPoolError) -> IPAddress in
                try await pool.allocate(ip, subinstance: "y", resource: "r", type: .vm("v"))
            }
            guard case .failure(.pool(.addressQuarantined(let quarantined, _, let remaining))) = refused else {
                Issue.record("a quarantined address was handed out: \(refused)")
                return
            }
            #expect(quarantined == ip && remaining > 0 && remaining <= 300_000_000)
            #expect(try await pool.statistics().quarantined == 1)
            try await Task.sleep(for: .milliseconds(350))
            #expect(try await pool.allocate(ip, subinstance: "y", resource: "r", type: .vm("v")) == ip)
            await #expect(throws: SharedPoolError.pool(.unknownBinding(IPAddress("10.7.0.60")!))) {
                try await pool.release(IPAddress("10.7.0.60")!)
            }
            await pool.shutdown()
        }
    }
}
