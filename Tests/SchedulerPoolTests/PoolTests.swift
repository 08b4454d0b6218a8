import Testing

@testable import SchedulerPool

/// The state a pool exposes, compared before and after a refused operation.
struct PoolSnapshot: Equatable {
    let ranges: [IPNetwork]
    let bindings: [IPBinding]
    let statistics: PoolStatistics

    init(_ pool: IPPool) {
        ranges = pool.ranges
        bindings = pool.allBindings()
        statistics = pool.statistics
    }
}

@Suite("IPPool", .timeLimit(.minutes(2)))
struct PoolTests {
    @Test func seedScenario() throws {
        let pool = IPPool(name: "my-pool")
        try pool.addCIDRRange("192.168.1.0/24")
        let ip = try pool.allocate(subinstance: "instance-01", resource: "my-service", type: .custom("socket"))
        #expect(ip == IPAddress("192.168.1.1"))
        let binding = try #require(pool.binding(for: ip))
        #expect(binding.ip == ip)
        #expect(binding.subinstance == "instance-01")
        #expect(binding.resource == "my-service")
        #expect(binding.type == .custom("socket"))
        #expect(binding.pool == "my-pool")
        #expect(binding.isActive)
        #expect(pool.bindings(subinstance: "instance-01") == [binding])
        try pool.release(subinstance: "instance-01", resource: "my-service")
        #expect(!binding.isActive)
        #expect(pool.binding(for: ip) == nil)
        #expect(pool.bindings(subinstance: "instance-01").isEmpty)
    }

    @Test func allocationIsIdempotentPerOwner() throws {
        let pool = IPPool(name: "p")
        try pool.addCIDRRange("10.0.0.0/24")
        let first = try pool.allocate(subinstance: "a", resource: "r", type: .vm("v"))
        let again = try pool.allocate(subinstance: "a", resource: "r", type: .container("other"))
        #expect(first == again)
        #expect(pool.binding(for: first)?.type == .vm("v"))
        #expect(pool.statistics.allocated == 1)
        let other = try pool.allocate(subinstance: "a", resource: "r2", type: .vm("v"))
        #expect(other != first)
    }

    @Test func releasedBindingStaysInactiveWhenTheAddressIsReused() throws {
        let pool = IPPool(name: "p")
        try pool.addCIDRRange("10.0.0.0/30")
        let ip = try pool.allocate(subinstance: "a", resource: "r", type: .custom("socket"))
        let old = try #require(pool.binding(for: ip))
        try pool.release(ip)
        let reused = try pool.allocate(ip, subinstance: "a", resource: "r", type: .custom("socket"))
        #expect(reused == ip)
        let new = try #require(pool.binding(for: ip))
        #expect(!old.isActive)
        #expect(new.isActive)
        #expect(old != new)
        #expect(new.generation > old.generation)
    }

    @Test func exhaustionAndReservedIPv4Addresses() throws {
        let pool = IPPool(name: "small")
        try pool.addCIDRRange("10.0.0.0/29")
        var seen: [IPAddress] = []
        for index in 0..<6 {
            seen.append(try pool.allocate(subinstance: "t", resource: "r\(index)", type: .custom("x")))
        }
        #expect(seen == (1...6).map { IPAddress(ipv4: 0x0A00_0000 + $0) })
        let before = PoolSnapshot(pool)
        #expect(throws: IPPoolError.exhausted(pool: "small")) {
            try pool.allocate(subinstance: "t", resource: "r6", type: .custom("x"))
        }
        #expect(PoolSnapshot(pool) == before)
        #expect(throws: IPPoolError.reservedAddress(IPAddress("10.0.0.7")!, range: IPNetwork("10.0.0.0/29")!)) {
            try pool.allocate(IPAddress("10.0.0.7")!, subinstance: "t", resource: "b", type: .custom("x"))
        }
        #expect(throws: IPPoolError.reservedAddress(IPAddress("10.0.0.0")!, range: IPNetwork("10.0.0.0/29")!)) {
            try pool.allocate(IPAddress("10.0.0.0")!, subinstance: "t", resource: "n", type: .custom("x"))
        }
        let statistics = pool.statistics
        #expect(statistics.total == 6)
        #expect(statistics.allocated == 6)
        #expect(statistics.free == 0)
        // A new range makes room again.
        try pool.addCIDRRange("10.0.1.0/31")
        #expect(try pool.allocate(subinstance: "t", resource: "r6", type: .custom("x")) == IPAddress("10.0.1.0"))
        #expect(try pool.allocate(subinstance: "t", resource: "r7", type: .custom("x")) == IPAddress("10.0.1.1"))
    }

    /// /31 (RFC 3021) hands out both addresses and /32 its only one.
    @Test func slash31AndSlash32HandOutEveryAddress() throws {
        let pool = IPPool(name: "p2p")
        try pool.addCIDRRange("192.0.2.0/31")
        try pool.addCIDRRange("192.0.2.9/32")
        #expect(pool.statistics.total == 3)
        let got = try (0..<3).map { try pool.allocate(subinstance: "s", resource: "r\($0)", type: .custom("x")) }
        #expect(got.map(\.description) == ["192.0.2.0", "192.0.2.1", "192.0.2.9"])
        #expect(throws: IPPoolError.exhausted(pool: "p2p")) {
            try pool.allocate(subinstance: "s", resource: "r3", type: .custom("x"))
        }
    }

    @Test func overlappingRangesAreRefusedAndChangeNothing() throws {
        let pool = IPPool(name: "p")
        try pool.addCIDRRange("10.0.0.0/16")
        try pool.addCIDRRange("2001:db8::/64")
        _ = try pool.allocate(subinstance: "a", resource: "r", type: .vm("x"))
        let before = PoolSnapshot(pool)
        for (text, existing) in [
            ("10.0.5.0/24", "10.0.0.0/16"), ("10.0.0.0/8", "10.0.0.0/16"),
            ("2001:db8::/32", "2001:db8::/64"), ("2001:db8::8/125", "2001:db8::/64"),
        ] {
            #expect(throws: IPPoolError.overlappingRange(IPNetwork(text)!, existing: IPNetwork(existing)!)) {
                try pool.addCIDRRange(text)
            }
        }
        for text in ["10.1.0.1/16", "nonsense", "10.0.0.0/33", ""] {
            #expect {
                try pool.addCIDRRange(text)
            } throws: { error in
                guard case .malformedRange(let parse) = error as? IPPoolError else { return false }
                return parse.text == text
            }
        }
        #expect(PoolSnapshot(pool) == before)
        try pool.addCIDRRange("10.1.0.0/16")
        #expect(pool.ranges.count == 3)
    }

    @Test func refusedOperationsNameTheirInputAndChangeNothing() throws {
        let pool = IPPool(name: "errors")
        try pool.addCIDRRange("10.0.0.0/24")
        let held = try pool.allocate(subinstance: "a", resource: "r", type: .vm("x"))
        let before = PoolSnapshot(pool)
        let outside = IPAddress("11.0.0.1")!
        let free = IPAddress("10.0.0.50")!

        #expect(throws: IPPoolError.unknownOwner(subinstance: "b", resource: "r")) {
            try pool.release(subinstance: "b", resource: "r")
        }
        #expect(throws: IPPoolError.unknownBinding(free)) { try pool.release(free) }
        #expect(throws: IPPoolError.addressOutsideRanges(outside, pool: "errors")) { try pool.release(outside) }
        #expect(throws: IPPoolError.addressOutsideRanges(outside, pool: "errors")) {
            try pool.allocate(outside, subinstance: "b", resource: "r", type: .vm("x"))
        }
        #expect(throws: IPPoolError.addressHeldByAnotherOwner(held, subinstance: "a", resource: "r")) {
            try pool.allocate(held, subinstance: "b", resource: "r", type: .vm("x"))
        }
        #expect(throws: IPPoolError.ownerHoldsAnotherAddress(subinstance: "a", resource: "r", held: held)) {
            try pool.allocate(free, subinstance: "a", resource: "r", type: .vm("x"))
        }
        #expect(PoolSnapshot(pool) == before)
        #expect(try pool.allocate(held, subinstance: "a", resource: "r", type: .vm("x")) == held)

        #expect(IPPoolError.unknownOwner(subinstance: "b", resource: "r").description.contains("\"b\""))
        #expect(IPPoolError.addressOutsideRanges(outside, pool: "errors").description.contains("11.0.0.1"))
        #expect(
            IPPoolError.malformedRange(AddressParseError(text: "x/y", reason: .notAnAddress)).description
                .contains("\"x/y\""))
        #expect(IPPoolError.exhausted(pool: "errors").description.contains("\"errors\""))
        #expect(
            IPPoolError.overlappingRange(IPNetwork("10.0.0.0/8")!, existing: IPNetwork("10.0.0.0/24")!)
                .description.contains("10.0.0.0/8"))
    }

    @Test func emptyPoolIsExhausted() {
        let pool = IPPool(name: "empty")
        #expect(throws: IPPoolError.exhausted(pool: "empty")) {
            try pool.allocate(subinstance: "a", resource: "r", type: .vm("x"))
        }
        #expect(pool.statistics.total == 0)
    }

    @Test func ipv6Slash64() throws {
        let pool = IPPool(name: "v6")
        try pool.addCIDRRange("2001:db8:0:1::/64")
        let stats = pool.statistics
        #expect(stats.total == AddressCount((UInt128(1) << 64) - 1))
        let first = try pool.allocate(subinstance: "t", resource: "0", type: .container("c"))
        #expect(first == IPAddress("2001:db8:0:1::1"))
        var seen: Set<IPAddress> = [first]
        for index in 1..<5000 {
            let ip = try pool.allocate(subinstance: "t", resource: "\(index)", type: .container("c"))
            #expect(IPNetwork("2001:db8:0:1::/64")!.contains(ip))
            seen.insert(ip)
        }
        #expect(seen.count == 5000)
        let far = IPAddress("2001:db8:0:1:ffff:ffff:ffff:ffff")!
        try pool.allocate(far, subinstance: "far", resource: "x", type: .vm("v"))
        #expect(pool.binding(for: far)?.subinstance == "far")
        #expect(pool.statistics.allocated == 5001)
        #expect(pool.bindings(subinstance: "t").count == 5000)
        try pool.release(far)
        #expect(pool.statistics.free == AddressCount((UInt128(1) << 64) - 1 - 5000))
    }

    @Test func mixedFamiliesAndWholeIPv6Space() throws {
        let pool = IPPool(name: "mixed")
        try pool.addCIDRRange("::/0")
        try pool.addCIDRRange("10.0.0.0/30")
        #expect(pool.statistics.total == AddressCount.powerOfTwo(128) - 1 + 2)
        #expect(try pool.allocate(subinstance: "a", resource: "1", type: .vm("x")) == IPAddress("::1"))
        let top = IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!
        #expect(try pool.allocate(top, subinstance: "a", resource: "2", type: .vm("x")) == top)
        #expect(
            try pool.allocate(IPAddress("10.0.0.2")!, subinstance: "a", resource: "3", type: .vm("x"))
                == IPAddress("10.0.0.2"))
        #expect(pool.bindings(subinstance: "a").map(\.ip.description) == ["10.0.0.2", "::1", top.description])
    }
}
