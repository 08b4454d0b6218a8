import Foundation
import TestSupport
import Testing

@testable import SchedulerPool

/// Durable pools on real files: reopen, damaged journals, quarantine, reconcile, two pools on one directory.
@Suite("Durable IPPool", .timeLimit(.minutes(3)))
struct DurablePoolTests {
    @Test func stateSurvivesReopening() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        var expected: [String: IPAddress] = [:]
        do {
            let pool = try IPPool(name: "p", storageDirectory: directory.path)
            try pool.addCIDRRange("10.0.0.0/24")
            try pool.addCIDRRange("fd00::/120")
            for index in 0..<100 {
                expected["r\(index)"] = try pool.allocate(
                    subinstance: "t", resource: "r\(index)", type: .vm("v"))
            }
            for index in stride(from: 0, to: 100, by: 3) {
                try pool.release(subinstance: "t", resource: "r\(index)")
                expected["r\(index)"] = nil
            }
            let fixed = try #require(IPAddress("fd00::77"))
            try pool.allocate(fixed, subinstance: "u", resource: "six", type: .container("c"))
            try pool.release(try #require(IPAddress("10.0.0.5")))
            expected["r4"] = nil
        }
        let reopened = try IPPool(name: "p", storageDirectory: directory.path)
        #expect(reopened.ranges.map(\.description) == ["10.0.0.0/24", "fd00::/120"])
        #expect(reopened.recoveryReport?.isClean == true)
        #expect(reopened.recoveryReport?.replayedRecords == 2 + 100 + 34 + 1 + 1)
        for (resource, ip) in expected {
            #expect(reopened.binding(subinstance: "t", resource: resource)?.ip == ip)
        }
        #expect(reopened.binding(subinstance: "u", resource: "six")?.type == .container("c"))
        #expect(reopened.allBindings().count == expected.count + 1)
        expectConsistent(reopened)
        // The lowest free address is the first one released, as in memory.
        #expect(
            try reopened.allocate(subinstance: "t", resource: "new", type: .vm("v"))
                == IPAddress("10.0.0.1"))
    }

    @Test func compactionKeepsStateAndGenerations() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let pool = try IPPool(name: "c", storageDirectory: directory.path, compactionBytes: 4096)
        try pool.addCIDRRange("10.2.0.0/22")
        for round in 0..<40 {
            for index in 0..<20 {
                _ = try pool.allocate(subinstance: "s\(round)", resource: "r\(index)", type: .custom("x"))
            }
            for index in 0..<20 where index % 2 == 0 {
                try pool.release(subinstance: "s\(round)", resource: "r\(index)")
            }
        }
        let before = pool.allBindings()
        #expect(before.count == 400)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/c.snapshot"))
        // 1,200 records of about 60 bytes were written; compaction kept the journal short.
        let journalBytes = try directory.bytes("c.journal").count
        #expect(journalBytes < 20_000)
        let reopened = try IPPool(name: "c", storageDirectory: directory.path)
        #expect((reopened.recoveryReport?.snapshotEpoch ?? 0) > 0)
        let after = reopened.allBindings()
        #expect(after.map(\.ip) == before.map(\.ip))
        #expect(after.map(\.generation) == before.map(\.generation))
        #expect(after.map(\.subinstance) == before.map(\.subinstance))
        expectConsistent(reopened)
    }

    @Test func tornTailIsCutAndReported() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "t", storageDirectory: directory.path)
            try pool.addCIDRRange("10.3.0.0/24")
            for index in 0..<10 {
                _ = try pool.allocate(subinstance: "a", resource: "r\(index)", type: .vm("v"))
            }
        }
        let intact = try directory.bytes("t.journal")
        // The last record written halfway, as by a writer killed inside write(2).
        try directory.write("t.journal", Array(intact.dropLast(7)))
        let pool = try IPPool(name: "t", storageDirectory: directory.path)
        let report = try #require(pool.recoveryReport)
        #expect(report.replayedRecords == 10)
        #expect(report.discardedTails.count == 1)
        #expect(report.discardedTails.first?.reason.contains("torn") == true)
        #expect(pool.allBindings().count == 9)
        #expect(pool.binding(subinstance: "a", resource: "r9") == nil)
        #expect(try directory.bytes("t.journal").count < intact.count - 7)
        expectConsistent(pool)
        // The pool goes on from the cut: the lost allocation's address is handed out again, once.
        #expect(
            try pool.allocate(subinstance: "b", resource: "x", type: .vm("v")) == IPAddress("10.3.0.10"))
        let again = try IPPool(name: "t", storageDirectory: directory.path)
        #expect(again.recoveryReport?.isClean == true)
        #expect(again.binding(for: try #require(IPAddress("10.3.0.10")))?.subinstance == "b")
    }

    @Test func corruptTailIsCutAndReported() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "k", storageDirectory: directory.path)
            try pool.addCIDRRange("10.4.0.0/24")
            for index in 0..<5 {
                _ = try pool.allocate(subinstance: "a", resource: "r\(index)", type: .vm("v"))
            }
        }
        var bytes = try directory.bytes("k.journal")
        bytes[bytes.count - 3] ^= 0x40  // a flipped bit inside the last record
        bytes += [0xDE, 0xAD]  // and garbage after it
        try directory.write("k.journal", bytes)
        let pool = try IPPool(name: "k", storageDirectory: directory.path)
        let report = try #require(pool.recoveryReport)
        #expect(report.discardedTails.count == 1)
        #expect(report.discardedTails.first?.reason == "checksum mismatch")
        #expect(pool.allBindings().count == 4)
        expectConsistent(pool)
    }

    @Test func damagedSnapshotIsATypedErrorNotACrash() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "s", storageDirectory: directory.path, compactionBytes: 4096)
            try pool.addCIDRRange("10.5.0.0/24")
            for index in 0..<200 {
                _ = try pool.allocate(subinstance: "a", resource: "r\(index)", type: .vm("v"))
                try pool.release(subinstance: "a", resource: "r\(index)")
            }
        }
        var snapshot = try directory.bytes("s.snapshot")
        snapshot[snapshot.count - 1] ^= 1
        try directory.write("s.snapshot", snapshot)
        #expect {
            _ = try IPPool(name: "s", storageDirectory: directory.path)
        } throws: { error in
            guard case .corruptStorage(let path, _, let reason) = error as? IPPoolError else {
                return false
            }
            return path.hasSuffix("s.snapshot") && reason.contains("checksum")
        }
    }

    @Test func aRecordThatContradictsTheStateIsRefusedNotGuessedPast() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let ip: IPAddress
        do {
            let pool = try IPPool(name: "x", storageDirectory: directory.path)
            try pool.addCIDRRange("10.13.0.0/24")
            ip = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        }
        // A well-formed record (its checksum matches) that hands the same address out again.
        let twice = JournalRecord.allocate(ip, subinstance: "b", resource: "1", type: .vm("v"), generation: 9)
        let journal = try directory.bytes("x.journal")
        try directory.write("x.journal", journal + twice.encoded)
        #expect {
            _ = try IPPool(name: "x", storageDirectory: directory.path)
        } throws: { error in
            guard case .corruptStorage(_, let offset, let reason) = error as? IPPoolError else { return false }
            return offset == Int64(journal.count) && reason.contains("already allocated")
        }
    }

    @Test func badNamesAndDirectoriesAreTypedErrors() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        #expect(throws: IPPoolError.invalidPoolName("a/b")) {
            _ = try IPPool(name: "a/b", storageDirectory: directory.path)
        }
        #expect(throws: IPPoolError.invalidPoolName("..")) {
            _ = try IPPool(name: "..", storageDirectory: directory.path)
        }
        let missingParent = directory.path + "/no/such"
        #expect(
            throws: IPPoolError.storage(operation: .makeDirectory, path: missingParent, errno: .noSuchFileOrDirectory)
        ) {
            _ = try IPPool(name: "p", storageDirectory: missingParent)
        }
        let error = IPPoolError.storage(operation: .makeDirectory, path: missingParent, errno: .noSuchFileOrDirectory)
        #expect(
            error.description == "mkdir " + missingParent
                + ": No such file or directory (ENOENT, errno 2)")
        // `catch` on the errno reads like swift-system's: the pattern matches the pool's error.
        var caught = "nothing"
        do {
            _ = try IPPool(name: "p", storageDirectory: missingParent)
        } catch StorageErrno.permissionDenied {
            caught = "EACCES"
        } catch StorageErrno.noSuchFileOrDirectory {
            caught = "ENOENT"
        } catch {
            caught = "\(error)"
        }
        #expect(caught == "ENOENT")
        #expect(StorageErrno(rawValue: ENOENT) == .noSuchFileOrDirectory)
        #expect(StorageErrno.noSpace.name == "ENOSPC" && StorageErrno(rawValue: 999).name == nil)
    }

    @Test func refusedOperationsChangeNothingOnDisk() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let pool = try IPPool(name: "r", storageDirectory: directory.path)
        try pool.addCIDRRange("10.6.0.0/30")
        _ = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        _ = try pool.allocate(subinstance: "a", resource: "2", type: .vm("v"))
        let journal = try directory.bytes("r.journal")
        #expect(throws: IPPoolError.exhausted(pool: "r")) {
            try pool.allocate(subinstance: "a", resource: "3", type: .vm("v"))
        }
        #expect(
            throws: IPPoolError.overlappingRange(IPNetwork("10.6.0.0/24")!, existing: IPNetwork("10.6.0.0/30")!)
        ) { try pool.addCIDRRange("10.6.0.0/24") }
        #expect(throws: IPPoolError.unknownOwner(subinstance: "nobody", resource: "x")) {
            try pool.release(subinstance: "nobody", resource: "x")
        }
        #expect(throws: IPPoolError.addressHeldByAnotherOwner(IPAddress("10.6.0.1")!, subinstance: "a", resource: "1")) {
            try pool.allocate(IPAddress("10.6.0.1")!, subinstance: "b", resource: "x", type: .vm("v"))
        }
        // Idempotent allocation writes nothing either.
        #expect(
            try pool.allocate(subinstance: "a", resource: "1", type: .vm("v")) == IPAddress("10.6.0.1"))
        #expect(try directory.bytes("r.journal") == journal)
    }

    @Test func quarantineHoldsReleasedAddresses() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let pool = try IPPool(
            name: "q", storageDirectory: directory.path, quarantine: .milliseconds(300))
        try pool.addCIDRRange("10.7.0.0/29")  // six usable addresses
        let first = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        try pool.release(subinstance: "a", resource: "1")
        #expect(pool.quarantinedCount == 1)
        #expect(pool.binding(for: first) == nil)
        // Not handed out again while quarantined, neither by the allocator nor on request.
        let second = try pool.allocate(subinstance: "a", resource: "2", type: .vm("v"))
        #expect(second != first)
        #expect {
            try pool.allocate(first, subinstance: "a", resource: "3", type: .vm("v"))
        } throws: { error in
            guard case .addressQuarantined(let ip, _, _) = error as? IPPoolError else { return false }
            return ip == first
        }
        // Another process (here: another pool object on the directory) honours the same deadline.
        let other = try IPPool(name: "q", storageDirectory: directory.path)
        #expect(other.quarantinedCount == 1)
        #expect(try other.allocate(subinstance: "b", resource: "1", type: .vm("v")) != first)
        usleep(350_000)
        #expect(try pool.allocate(subinstance: "a", resource: "4", type: .vm("v")) == first)
        #expect(pool.quarantinedCount == 0)
        try other.synchronize()
        #expect(other.binding(for: first)?.resource == "4")
        expectConsistent(pool)
        expectConsistent(other)
    }

    @Test func zeroQuarantineReusesAtOnce() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let pool = try IPPool(name: "z", storageDirectory: directory.path)
        try pool.addCIDRRange("10.8.0.0/29")
        let first = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        try pool.release(first)
        #expect(pool.quarantinedCount == 0)
        #expect(try pool.allocate(subinstance: "a", resource: "2", type: .vm("v")) == first)
    }

    @Test func reconcileReleasesOwnersThatAreGone() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        do {
            let pool = try IPPool(name: "g", storageDirectory: directory.path)
            try pool.addCIDRRange("10.9.0.0/24")
            for vm in ["vm-1", "vm-2", "vm-3"] {
                for nic in 0..<2 {
                    _ = try pool.allocate(subinstance: vm, resource: "nic\(nic)", type: .vm(vm))
                }
            }
        }  // the process "crashes": vm-2 and vm-3 died meanwhile
        let pool = try IPPool(name: "g", storageDirectory: directory.path)
        let released = try pool.reconcile(liveOwners: ["vm-1"])
        #expect(Set(released.map(\.subinstance)) == ["vm-2", "vm-3"])
        #expect(released.count == 4)
        #expect(pool.allBindings().map(\.subinstance) == ["vm-1", "vm-1"])
        #expect(try pool.reconcile(liveOwners: ["vm-1"]).isEmpty)
        let reopened = try IPPool(name: "g", storageDirectory: directory.path)
        #expect(reopened.allBindings().count == 2)
        // In memory too.
        let memory = IPPool(name: "m")
        try memory.addCIDRRange("10.9.0.0/24")
        _ = try memory.allocate(subinstance: "gone", resource: "r", type: .vm("v"))
        _ = try memory.allocate(subinstance: "here", resource: "r", type: .vm("v"))
        #expect(try memory.reconcile(liveOwners: ["here"]).map(\.subinstance) == ["gone"])
        #expect(memory.allBindings().map(\.subinstance) == ["here"])
    }

    @Test func twoPoolsOnOneDirectorySeeEachOther() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let a = try IPPool(name: "shared", storageDirectory: directory.path)
        try a.addCIDRRange("10.10.0.0/24")
        let b = try IPPool(name: "shared", storageDirectory: directory.path)
        #expect(b.ranges.count == 1)
        let fromA = try a.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        let fromB = try b.allocate(subinstance: "b", resource: "1", type: .vm("v"))
        #expect(fromA != fromB)
        #expect(b.binding(for: fromA)?.subinstance == "a")
        try a.release(fromA)
        try b.synchronize()
        #expect(b.binding(for: fromA) == nil)
        #expect(
            throws: IPPoolError.overlappingRange(IPNetwork("10.10.0.0/25")!, existing: IPNetwork("10.10.0.0/24")!)
        ) { try b.addCIDRRange("10.10.0.0/25") }
    }

    @Test func aPoolReloadsWhenAnotherCompacted() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let a = try IPPool(name: "epoch", storageDirectory: directory.path)
        try a.addCIDRRange("10.12.0.0/24")
        let held = try a.allocate(subinstance: "a", resource: "kept", type: .vm("v"))
        let before = try #require(a.binding(for: held))
        // b writes enough to compact twice: the journal a read is gone, a snapshot replaces it.
        let b = try IPPool(name: "epoch", storageDirectory: directory.path, compactionBytes: 4096)
        for index in 0..<150 {
            _ = try b.allocate(subinstance: "b", resource: "r\(index)", type: .vm("v"))
            if index % 2 == 0 { try b.release(subinstance: "b", resource: "r\(index)") }
        }
        #expect(FileManager.default.fileExists(atPath: directory.path + "/epoch.snapshot"))
        let fromA = try a.allocate(subinstance: "a", resource: "new", type: .vm("v"))
        #expect(b.allBindings().allSatisfy { $0.ip != fromA })
        #expect(a.allBindings().count == 1 + 75 + 1)
        #expect(before.isActive)  // generations survive the reload
        expectConsistent(a)
        try b.synchronize()
        #expect(b.binding(for: fromA)?.resource == "new")
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
    }

    @Test func eightThreadsOnADurablePoolNeverShareAnAddress() throws {
        let directory = try TemporaryDirectory(prefix: "durable-pool-test-")
        defer { directory.remove() }
        let pool = try IPPool(name: "threads", storageDirectory: directory.path, compactionBytes: 16384)
        try pool.addCIDRRange("10.11.0.0/20")
        let results = DurableResults()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var held: Set<IPAddress> = []
            for index in 0..<150 {
                guard
                    let ip = try? pool.allocate(
                        subinstance: "t\(thread)", resource: "r\(index)", type: .vm("v"))
                else {
                    return results.fail()
                }
                held.insert(ip)
                if index % 3 == 0 {
                    guard (try? pool.release(ip)) != nil else { return results.fail() }
                    held.remove(ip)
                }
            }
            results.add(held)
        }
        #expect(!results.failed)
        let held = results.held
        #expect(held.count == 8 * 100)
        // Group commit: fewer fdatasyncs than records (one sync covered several threads' records).
        let journal = try #require(pool.journalStatistics)
        #expect(journal.recordsWritten == 1 + 8 * 150 + 8 * 50)
        #expect(journal.syncs < journal.recordsWritten)
        #expect(IPPool(name: "memory").journalStatistics == nil)
        let reopened = try IPPool(name: "threads", storageDirectory: directory.path)
        let recovered = Set(reopened.allBindings().map(\.ip))
        #expect(recovered.count == held.count)
        #expect(recovered.symmetricDifference(held).isEmpty)
        expectConsistent(reopened)
    }
}

/// What the threads of a test saw, behind a lock.
final class DurableResults: @unchecked Sendable {
    private let lock = NSLock()
    private var ips: Set<IPAddress> = []
    private var failures = 0

    func add(_ held: Set<IPAddress>) { lock.withLock { ips.formUnion(held) } }
    func fail() { lock.withLock { failures += 1 } }
    var held: Set<IPAddress> { lock.withLock { ips } }
    var failed: Bool { lock.withLock { failures > 0 } }
}
