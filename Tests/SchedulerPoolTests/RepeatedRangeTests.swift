import TestSupport
import Foundation
import Testing

@testable import SchedulerPool

/// A service that adds its ranges at every start: the same range again is a no-op, a different
/// overlapping one still fails.
@Suite("Adding a range twice", .timeLimit(.minutes(2)))
struct RepeatedRangeTests {
    @Test func inMemory() throws {
        let pool = IPPool(name: "m")
        try pool.addCIDRRange("10.20.0.0/24")
        let ip = try pool.allocate(subinstance: "a", resource: "r", type: .vm("v"))
        try pool.addCIDRRange("10.20.0.0/24")
        try pool.addRange(IPNetwork("10.20.0.0/24")!)
        #expect(pool.ranges.map(\.description) == ["10.20.0.0/24"])
        #expect(pool.binding(for: ip)?.subinstance == "a")
        #expect(throws: IPPoolError.overlappingRange(IPNetwork("10.20.0.0/25")!, existing: IPNetwork("10.20.0.0/24")!))
        {
            try pool.addCIDRRange("10.20.0.0/25")
        }
    }

    @Test func durableReopenedInTheSameProcess() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var allocated: IPAddress
        do {
            let pool = try IPPool(name: "svc", storageDirectory: directory.path)
            try pool.addCIDRRange("10.21.0.0/24")
            allocated = try pool.allocate(subinstance: "a", resource: "r", type: .vm("v"))
        }
        let reopened = try IPPool(name: "svc", storageDirectory: directory.path)
        let records = reopened.recoveryReport?.replayedRecords
        try reopened.addCIDRRange("10.21.0.0/24")  // the service's start-up, again
        #expect(reopened.ranges.map(\.description) == ["10.21.0.0/24"])
        #expect(reopened.binding(for: allocated)?.subinstance == "a")
        #expect(reopened.journalStatistics?.recordsWritten == 0)  // a no-op journals nothing
        #expect(throws: IPPoolError.overlappingRange(IPNetwork("10.21.0.0/16")!, existing: IPNetwork("10.21.0.0/24")!))
        {
            try reopened.addCIDRRange("10.21.0.0/16")
        }
        let third = try IPPool(name: "svc", storageDirectory: directory.path)
        #expect(third.recoveryReport?.replayedRecords == records)
        #expect(third.ranges.map(\.description) == ["10.21.0.0/24"])
    }

    @Test func quarantineErrorSaysHowLongIsLeft() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try IPPool(name: "q", storageDirectory: directory.path, quarantine: .seconds(60))
        try pool.addCIDRRange("10.22.0.0/29")
        let ip = try pool.allocate(subinstance: "a", resource: "r", type: .vm("v"))
        try pool.release(subinstance: "a", resource: "r")
        do {
            try pool.allocate(ip, subinstance: "b", resource: "r", type: .vm("v"))
            Issue.record("a quarantined address was handed out")
        } catch {
            guard case .addressQuarantined(_, _, let remaining) = error else {
                Issue.record("expected addressQuarantined, got \(error)")
                return
            }
            #expect(remaining > 55_000_000_000 && remaining <= 60_000_000_000)
            let message = error.description
            #expect(message.hasPrefix("address 10.22.0.1 is quarantined for another "))
            #expect(message == "address 10.22.0.1 is quarantined for another " + IPPoolError.seconds(remaining))
            #expect(message.hasSuffix(" s"))
            #expect(!message.contains("CLOCK_REALTIME"))
        }
        #expect(IPPoolError.seconds(4_200_000_000) == "4.2 s")
        #expect(IPPoolError.seconds(4_200_000_001) == "4.3 s")
        #expect(IPPoolError.seconds(1) == "0.1 s")
        #expect(IPPoolError.seconds(60_000_000_000) == "60.0 s")
    }
}
