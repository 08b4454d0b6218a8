// pool-bench's contention table: allocate+release churn from 1, 2, 8 and 32 threads on one
// IPPool (distinct owners per thread), beside the same churn in C on the pool's bitmap behind a
// plain pthread mutex and behind a priority-inheriting one (CLockChurn), all in the same run.
import CLockChurn
import Foundation
import SchedulerPool
import Synchronization

/// How long each case runs, and how many times (the best run counts: the machine is shared).
let contentionSeconds = 0.4
let contentionRepeats = 2

/// Allocate+release pairs per second from `threads` threads on one in-memory pool.
func swiftContention(threads: Int) -> Double {
    let pool = IPPool(name: "contention")
    try! pool.addCIDRRange("10.0.0.0/16")
    let stop = Atomic<Bool>(false)
    let total = Atomic<Int>(0)
    let finished = DispatchSemaphore(value: 0)
    for index in 0..<threads {
        let subinstance = "thread-\(index)"
        Thread.detachNewThread {
            var pairs = 0
            while !stop.load(ordering: .relaxed) {
                do {
                    let ip = try pool.allocate(subinstance: subinstance, resource: "r", type: .container("c"))
                    _ = try pool.release(ip)
                } catch {
                    fail("contention churn: \(error)")
                }
                pairs += 1
            }
            total.add(pairs, ordering: .relaxed)
            finished.signal()
        }
    }
    Thread.sleep(forTimeInterval: contentionSeconds)
    stop.store(true, ordering: .relaxed)
    for _ in 0..<threads { finished.wait() }
    guard pool.statistics.allocated == 0 else { fail("contention left addresses allocated") }
    return Double(total.load(ordering: .relaxed)) / contentionSeconds
}

/// The same churn in C around a pthread mutex, plain or priority-inheriting.
func cContention(threads: Int, priorityInherit: Bool) -> Double {
    let pairs = clockchurn_run(Int32(threads), priorityInherit ? 1 : 0, contentionSeconds)
    guard pairs >= 0 else { fail("clockchurn_run: \(pairs)") }
    return Double(pairs) / contentionSeconds
}

/// The best of `contentionRepeats` runs of `measure`.
func bestOf(_ measure: () -> Double) -> Double {
    (0..<contentionRepeats).map { _ in measure() }.max()!
}

/// Prints the table: operations/s per thread count and each column's ratio to its own 1 thread.
func contentionTable() {
    print("\nContention: allocate+release pairs/s on one pool (ratio to the same column at 1 thread)")
    row("threads", "IPPool (Swift)", "C bitmap + pthread mutex | C bitmap + PI pthread mutex")
    var firsts: [Double] = []
    for threads in [1, 2, 8, 32] {
        let values = [
            bestOf { swiftContention(threads: threads) },
            bestOf { cContention(threads: threads, priorityInherit: false) },
            bestOf { cContention(threads: threads, priorityInherit: true) },
        ]
        if firsts.isEmpty { firsts = values }
        let cells = zip(values, firsts).map { value, first in
            String(format: "%.2f M (%.2fx)", value / 1e6, value / first)
        }
        row("\(threads)", cells[0], cells[1] + " | " + cells[2])
    }
    print("targets: IPPool 2 threads >= 0.5x, 8 and 32 threads >= 0.35x of its 1 thread")
}
