import CTestProbes
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import SchedulerPool

/// "An allocation returns only once its record is on disk", checked from outside the pool: the
/// test binary's `fdatasync` (CTestProbes) logs every sync that succeeded, with the file and the
/// probe clock before and after it. A pool counting syncs it never made, or returning before
/// one ran, fails here.
@Suite("Durable pool syncs", .timeLimit(.minutes(1)))
struct DurableSyncTests {
    /// The (device, inode) of the file at `path`.
    private func fileIdentity(_ path: String) throws -> (UInt64, UInt64) {
        var status = stat()
        try #require(stat(path, &status) == 0, "stat \(path): errno \(errno)")
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    @Test(
        "every allocation and release of 4 threads returns after an fdatasync of the journal that began after the call did"
    )
    func everyMutationIsCoveredByASync() throws {
        let directory = try TemporaryDirectory(prefix: "durable-sync-test-")
        defer { directory.remove() }
        let pool = try IPPool(name: "synced", storageDirectory: directory.path)
        try pool.addCIDRRange("10.12.0.0/22")
        let (device, inode) = try fileIdentity(try #require(pool.journalPath))
        let syncsBefore = ctp_syncs_of(device, inode)
        let countedBefore = try #require(pool.journalStatistics).syncs
        let windows = Mutex<[(call: String, began: UInt64, returned: UInt64)]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<30 {
                let began = ctp_now()
                let ip = try? pool.allocate(subinstance: "t\(thread)", resource: "r\(index)", type: .vm("v"))
                windows.withLock { $0.append(("allocate t\(thread) r\(index)", began, ctp_now())) }
                guard let ip, index % 3 == 0 else { continue }
                let releaseBegan = ctp_now()
                _ = try? pool.release(ip)
                windows.withLock { $0.append(("release \(ip)", releaseBegan, ctp_now())) }
            }
        }
        let calls = windows.withLock { $0 }
        #expect(calls.count == 4 * 30 + 4 * 10)
        #expect(pool.allBindings().count == 4 * 20)
        let uncovered = calls.filter { ctp_sync_ran_between(device, inode, $0.began, $0.returned) == 0 }
        #expect(
            uncovered.isEmpty,
            "returned with no fdatasync of the journal since the call began: \(uncovered.prefix(3).map(\.call))")
        // The pool's own count is the number of syncs that really ran on its journal.
        let syncs = ctp_syncs_of(device, inode) - syncsBefore
        let journal = try #require(pool.journalStatistics)
        let counted = journal.syncs - countedBefore
        #expect(syncs > 0 && counted == syncs, "pool counted \(counted) syncs, the journal saw \(syncs)")
    }
}
