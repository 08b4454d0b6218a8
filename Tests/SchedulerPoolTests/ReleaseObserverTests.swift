import TestSupport
import Foundation
import Synchronization
import Testing

@testable import SchedulerPool

/// `IPBinding.onRelease` runs once when its allocation ends, whichever way it ends.
@Suite("Release observers", .timeLimit(.minutes(2)))
struct ReleaseObserverTests {
    /// Records what observers saw.
    final class Seen: Sendable {
        let bindings = Mutex<[IPBinding]>([])
        func record(_ binding: IPBinding) { bindings.withLock { $0.append(binding) } }
        var count: Int { bindings.withLock { $0.count } }
    }

    @Test func firesOnceOnReleaseByOwnerOrAddress() throws {
        let pool = IPPool(name: "obs")
        try pool.addCIDRRange("10.30.0.0/24")
        let seen = Seen()
        _ = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        let first = try #require(pool.binding(subinstance: "a", resource: "1"))
        first.onRelease { seen.record($0) }
        let otherIP = try pool.allocate(subinstance: "b", resource: "1", type: .vm("v"))
        let second = try #require(pool.binding(for: otherIP))
        second.onRelease { seen.record($0) }
        #expect(seen.count == 0)
        try pool.release(subinstance: "a", resource: "1")
        #expect(seen.bindings.withLock { $0 } == [first])
        try pool.release(otherIP)
        #expect(seen.bindings.withLock { $0 } == [first, second])
        // The same address allocated again is a new allocation: the old observers stay quiet.
        _ = try pool.allocate(first.ip, subinstance: "c", resource: "1", type: .vm("v"))
        try pool.release(first.ip)
        #expect(seen.count == 2)
    }

    @Test func cancelledObserverNeverRunsAndReleasedBindingFiresAtOnce() throws {
        let pool = IPPool(name: "obs2")
        try pool.addCIDRRange("10.31.0.0/24")
        let seen = Seen()
        _ = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        let binding = try #require(pool.binding(subinstance: "a", resource: "1"))
        let observation = binding.onRelease { seen.record($0) }
        observation.cancel()
        try pool.release(subinstance: "a", resource: "1")
        #expect(seen.count == 0)
        binding.onRelease { seen.record($0) }  // already released
        #expect(seen.count == 1)
    }

    @Test func anObserverMayCallThePool() throws {
        let pool = IPPool(name: "obs3")
        try pool.addCIDRRange("10.32.0.0/24")
        _ = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        let binding = try #require(pool.binding(subinstance: "a", resource: "1"))
        let reallocated = Mutex<IPAddress?>(nil)
        binding.onRelease { released in
            let ip = try? pool.allocate(subinstance: "a", resource: "2", type: .vm("v"))
            reallocated.withLock { $0 = ip }
        }
        try pool.release(subinstance: "a", resource: "1")
        #expect(reallocated.withLock { $0 } != nil)
    }

    @Test func durablePoolFiresWhenAnotherPoolObjectReleased() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try IPPool(name: "d", storageDirectory: directory.path)
        try pool.addCIDRRange("10.33.0.0/24")
        let ip = try pool.allocate(subinstance: "a", resource: "1", type: .vm("v"))
        let binding = try #require(pool.binding(for: ip))
        let seen = Seen()
        binding.onRelease { seen.record($0) }
        // Another process (here another pool object on the directory) releases it.
        let other = try IPPool(name: "d", storageDirectory: directory.path)
        try other.release(subinstance: "a", resource: "1")
        #expect(seen.count == 0)  // not known here yet
        try pool.synchronize()
        #expect(seen.bindings.withLock { $0 } == [binding])
        // Own durable releases fire too.
        let again = try pool.allocate(subinstance: "b", resource: "1", type: .vm("v"))
        try #require(pool.binding(for: again)).onRelease { seen.record($0) }
        try pool.release(again)
        #expect(seen.count == 2)
    }

    @Test func durablePoolFiresWhenAReloadedSnapshotLacksTheAllocation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try IPPool(name: "r", storageDirectory: directory.path, compactionBytes: 4096)
        try pool.addCIDRRange("10.34.0.0/20")
        let ip = try pool.allocate(subinstance: "watched", resource: "1", type: .vm("v"))
        let seen = Seen()
        try #require(pool.binding(for: ip)).onRelease { seen.record($0) }
        let other = try IPPool(name: "r", storageDirectory: directory.path, compactionBytes: 4096)
        try other.release(ip)
        for index in 0..<400 {  // enough journal for `other` to compact into a new snapshot
            _ = try other.allocate(subinstance: "x", resource: String(index), type: .vm("v"))
        }
        #expect(access(directory.path + "/r.snapshot", F_OK) == 0)
        #expect(seen.count == 0)
        try pool.synchronize()
        #expect(seen.count == 1)
    }
}
