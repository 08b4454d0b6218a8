import Dispatch
import Testing

@testable import SchedulerPool

/// Eight threads on one pool at once: no address is ever handed out twice.
@Suite("IPPool under concurrency", .timeLimit(.minutes(3)))
struct PoolConcurrencyTests {
    /// Runs `body(thread)` on 8 threads at the same time and collects what each returns.
    func onEightThreads<T: Sendable>(_ body: @Sendable (Int) -> T) -> [T] {
        let results = ResultBox<T>(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in results.set(thread, body(thread)) }
        return results.values
    }

    @Test func eightThreadsNeverShareAnAddress() throws {
        let pool = IPPool(name: "shared")
        try pool.addCIDRRange("10.1.0.0/16")
        let perThread = onEightThreads { thread -> [IPAddress] in
            var mine: [IPAddress] = []
            for index in 0..<3000 {
                guard let ip = try? pool.allocate(subinstance: "t\(thread)", resource: "r\(index)", type: .custom("x"))
                else { return [] }
                mine.append(ip)
                if index % 3 == 0 {  // give some back, so that threads reuse each other's frees
                    guard (try? pool.release(subinstance: "t\(thread)", resource: "r\(index)")) != nil else {
                        return []
                    }
                    mine.removeLast()
                }
            }
            return mine
        }
        let all = perThread.flatMap { $0 }
        #expect(perThread.allSatisfy { $0.count == 2000 })
        #expect(Set(all).count == all.count)
        #expect(pool.statistics.allocated == AddressCount(UInt128(all.count)))
        for ip in all.prefix(500) { #expect(pool.binding(for: ip) != nil) }
    }

    @Test func eightThreadsRaceToExhaustion() throws {
        let pool = IPPool(name: "race")
        try pool.addCIDRRange("10.2.0.0/22")  // 1022 usable addresses
        let perThread = onEightThreads { thread -> (got: [IPAddress], exhausted: Int) in
            var got: [IPAddress] = []
            var exhausted = 0
            for index in 0..<200 {
                do throws(IPPoolError) {
                    got.append(try pool.allocate(subinstance: "t\(thread)", resource: "r\(index)", type: .vm("x")))
                } catch {
                    if error == .exhausted(pool: "race") { exhausted += 1 }
                }
            }
            return (got, exhausted)
        }
        let all: [IPAddress] = perThread.flatMap { $0.got }
        let exhausted: Int = perThread.map { $0.exhausted }.reduce(0, +)
        #expect(all.count == 1022)
        #expect(Set(all).count == 1022)
        #expect(exhausted == 8 * 200 - 1022)
        #expect(pool.statistics.free == 0)
    }
}

/// A fixed set of slots written by concurrent threads, each slot by one thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = DispatchQueue(label: "ResultBox")

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { lock.sync { slots[index] = value } }

    var values: [T] { lock.sync { slots.map { $0! } } }
}
