import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

/// One host's operations against the database, as IPPool's tests check them in memory.
extension SharedPoolTests {
    @Suite struct SharedPoolBasicsTests {
        @Test func allocateIsIdempotentAndUnique() async throws {
            let name = PostgresFixture.uniqueName("basics")
            let pool = try await SharedIPPool.create(
                name: name, database: PostgresFixture.target, options: PostgresFixture.options("h1"))
            try await pool.addCIDRRange("10.1.0.0/24")
            try await pool.addCIDRRange("10.1.0.0/24")
            await #expect(
                throws: SharedPoolError.pool(
                    .overlappingRange(IPNetwork("10.1.0.0/25")!, existing: IPNetwork("10.1.0.0/24")!))
            ) {
                try await pool.addCIDRRange("10.1.0.0/25")
            }
            let first = try await pool.allocate(subinstance: "a", resource: "eth0", type: .vm("web"))
            #expect(first == IPAddress("10.1.0.1"))
            let again = try await pool.allocate(subinstance: "a", resource: "eth0", type: .vm("web"))
            #expect(again == first)
            let second = try await pool.allocate(subinstance: "b", resource: "eth0", type: .container("db"))
            #expect(second == IPAddress("10.1.0.2"))
            let binding = try #require(try await pool.binding(for: first))
            #expect(binding.subinstance == "a" && binding.type == .vm("web") && binding.host == "h1")
            #expect(try await pool.release(subinstance: "a", resource: "eth0") == first)
            await #expect(throws: SharedPoolError.pool(.unknownOwner(subinstance: "a", resource: "eth0"))) {
                try await pool.release(subinstance: "a", resource: "eth0")
            }
            #expect(try await pool.binding(for: first) == nil)
            let stats = try await pool.statistics()
            #expect(stats.allocated == 1 && stats.total == 254 && stats.claimedBlocks == 1)
            await pool.shutdown()
        }
    }
}
