import Foundation
import Synchronization
import TestSupport
import Testing

@_spi(SchedulerInternals) @testable import SchedulerPool

/// 32 threads (16 times the cores here) allocating, releasing and listing on one pool for a
/// bounded time, then every invariant checked: in memory and durable.
@Suite("IPPool stress: 32 threads", .timeLimit(.minutes(1)))
struct PoolStressTests {
    /// What one thread saw: the addresses it holds at the end, operations done, and any
    /// inconsistency it noticed while running.
    struct ThreadReport: Sendable {
        var held: [String: IPAddress] = [:]
        var operations = 0
        var problems: [String] = []
    }

    /// Runs `threads` real threads (not a pool of workers sized to the cores) on `pool` until
    /// each has done `operations` steps or `seconds` have passed, and returns their reports.
    func stress(_ pool: IPPool, threads: Int = 32, operations: Int, seconds: Double) -> [ThreadReport] {
        let reports = FutexMutex([ThreadReport](repeating: ThreadReport(), count: threads))
        let finished = DispatchSemaphore(value: 0)
        let deadline = Date().addingTimeInterval(seconds)
        for thread in 0..<threads {
            Thread.detachNewThread {
                let report = Self.churn(pool, thread: thread, operations: operations, deadline: deadline)
                reports.withLock { $0[thread] = report }
                finished.signal()
            }
        }
        for _ in 0..<threads { finished.wait() }
        return reports.withLock { $0 }
    }

    /// One thread's steps on its own subinstance: allocate, release or list, chosen by a seeded
    /// generator, checking after each that the pool agrees with what this thread holds.
    static func churn(_ pool: IPPool, thread: Int, operations: Int, deadline: Date) -> ThreadReport {
        var report = ThreadReport()
        var random = SeededGenerator(seed: UInt64(thread) &+ 1)
        let subinstance = "t\(thread)"
        while report.operations < operations, report.problems.isEmpty {
            if report.operations % 64 == 0, Date() >= deadline { break }
            report.operations += 1
            let resource = "r\(random.next() % 24)"
            switch random.next() % 8 {
            case 0..<4:
                do {
                    let ip = try pool.allocate(subinstance: subinstance, resource: resource, type: .vm("v"))
                    if let mine = report.held[resource], mine != ip {
                        report.problems.append("\(resource): allocate again gave \(ip), held \(mine)")
                    }
                    report.held[resource] = ip
                } catch {
                    report.problems.append("allocate \(resource): \(error)")
                }
            case 4..<7:
                do {
                    let ip = try pool.release(subinstance: subinstance, resource: resource)
                    if report.held.removeValue(forKey: resource) != ip {
                        report.problems.append("\(resource): released \(ip), not what it held")
                    }
                } catch {
                    if report.held[resource] != nil || error != .unknownOwner(subinstance: subinstance, resource: resource) {
                        report.problems.append("release \(resource): \(error)")
                    }
                }
            default:
                let listed = pool.bindings(subinstance: subinstance)
                let seen = Dictionary(uniqueKeysWithValues: listed.map { ($0.resource, $0.ip) })
                if seen != report.held {
                    report.problems.append("bindings(subinstance:) listed \(seen), held \(report.held)")
                }
                for (resource, ip) in report.held.prefix(2) where pool.binding(for: ip)?.resource != resource {
                    report.problems.append("binding(for: \(ip)) is not \(subinstance)/\(resource)")
                }
            }
        }
        return report
    }

    /// The end state: what the threads hold is exactly what the pool lists, with no address twice.
    func expectAgreement(_ pool: IPPool, _ reports: [ThreadReport]) {
        for (thread, report) in reports.enumerated() {
            #expect(report.problems.isEmpty, "thread \(thread): \(report.problems.prefix(3))")
            #expect(report.operations > 0, "thread \(thread) never ran")
        }
        var held: [IPAddress: String] = [:]
        for (thread, report) in reports.enumerated() {
            for (resource, ip) in report.held {
                if let other = held.updateValue("t\(thread)/\(resource)", forKey: ip) {
                    Issue.record("\(ip) is held by \(other) and t\(thread)/\(resource)")
                }
            }
        }
        let bindings = pool.allBindings()
        #expect(bindings.count == held.count)
        for binding in bindings {
            #expect(held[binding.ip] == binding.subinstance + "/" + binding.resource)
        }
        expectConsistent(pool)
    }

    @Test func inMemory() throws {
        let pool = IPPool(name: "stress")
        try pool.addCIDRRange("10.9.0.0/22")
        try pool.addCIDRRange("fd00:9::/120")
        let reports = stress(pool, operations: 20_000, seconds: 2)
        expectAgreement(pool, reports)
    }

    @Test func durable() throws {
        let directory = try TemporaryDirectory(prefix: "pool-stress-")
        defer { directory.remove() }
        var expected: [IPAddress: String] = [:]
        do {
            let pool = try IPPool(name: "stress", storageDirectory: directory.path)
            try pool.addCIDRRange("10.9.0.0/22")
            let reports = stress(pool, operations: 400, seconds: 2)
            expectAgreement(pool, reports)
            for binding in pool.allBindings() { expected[binding.ip] = binding.subinstance + "/" + binding.resource }
        }
        // Reopened, the journal gives back exactly what the threads were told they hold.
        let reopened = try IPPool(name: "stress", storageDirectory: directory.path)
        let restored = Dictionary(uniqueKeysWithValues: reopened.allBindings().map { ($0.ip, $0.subinstance + "/" + $0.resource) })
        #expect(restored == expected)
        expectConsistent(reopened)
    }
}
