// IPPool on wasm32: allocation to exhaustion, release and reuse, bindings, bad ranges, and an
// IPv6 range, all through the public API and the C allocator underneath it.
import SchedulerPool

/// Adds `cidr` to `pool`, failing the run when it is refused.
func addRange(_ cidr: String, to pool: IPPool, _ t: Checker, line: UInt = #line) {
    t.expectNoThrow("addCIDRRange(\"\(cidr)\")", line: line) { () throws(IPPoolError) in try pool.addCIDRRange(cidr) }
}

/// Allocates for (`subinstance`, `resource`), failing the run when the pool refuses.
func allocate(
    _ pool: IPPool, _ subinstance: String, _ resource: String, type: ResourceType = .custom("socket"),
    _ t: Checker, line: UInt = #line
) -> IPAddress {
    t.expectNoThrow("allocate(\(subinstance), \(resource))", line: line) { () throws(IPPoolError) in
        try pool.allocate(subinstance: subinstance, resource: resource, type: type)
    }
}

func testExhaustion(_ t: Checker) {
    let pool = IPPool(name: "wasm-v4")
    addRange("10.0.0.0/29", to: pool, t)
    guard let network = IPNetwork("10.0.0.0/29") else { t.fail("IPNetwork(\"10.0.0.0/29\") is nil") }

    // A /29 holds 8 addresses; the network (.0) and broadcast (.7) addresses are never handed out.
    var seen = Set<IPAddress>()
    for index in 0..<6 {
        let ip = allocate(pool, "tenant", "r\(index)", t)
        t.expect(network.contains(ip), "\(ip) lies in 10.0.0.0/29")
        t.expect(ip != parsed("10.0.0.0", t) && ip != parsed("10.0.0.7", t), "\(ip) is neither network nor broadcast")
        t.expect(seen.insert(ip).inserted, "\(ip) was handed out once only")
    }
    t.expectEqual(seen.count, 6, "distinct addresses in a full /29")
    let full = t.expectThrows("a 7th allocation from a full /29") { () throws(IPPoolError) in
        try pool.allocate(subinstance: "tenant", resource: "r6", type: .custom("socket"))
    }
    t.expect(full == .exhausted(pool: "wasm-v4"), "a full pool throws .exhausted naming it: \(full)")
    let stats = pool.statistics
    t.expect(
        stats.total == 6 && stats.allocated == 6 && stats.free == 0,
        "statistics of a full /29: \(stats.total) \(stats.allocated) \(stats.free)")
    // Idempotent per owner: a full pool still answers an owner that already holds an address.
    let again = allocate(pool, "tenant", "r3", t)
    t.expect(seen.contains(again), "the same owner gets its address back from a full pool")
    t.expectEqual(pool.bindings(subinstance: "tenant").count, 6, "bindings of the one tenant")
}

func testRelease(_ t: Checker) {
    let pool = IPPool(name: "wasm-release")
    addRange("192.168.1.0/30", to: pool, t)  // two usable addresses: .1 and .2
    let first = allocate(pool, "a", "one", t)
    let second = allocate(pool, "b", "two", t)
    t.expect(first != second, "two owners get two addresses")
    t.expectThrows("a 3rd allocation from a /30") { () throws(IPPoolError) in
        try pool.allocate(subinstance: "c", resource: "three", type: .vm("vm-3"))
    }

    t.expectNoThrow("release(a, one)") { () throws(IPPoolError) in try pool.release(subinstance: "a", resource: "one") }
    t.expect(pool.binding(for: first) == nil, "no binding for \(first) after its release")
    t.expect(pool.binding(for: second) != nil, "the other binding stays")
    let reused = allocate(pool, "c", "three", type: .vm("vm-3"), t)
    t.expect(reused == first, "the released \(first) is the only free address, got \(reused)")

    let twice = t.expectThrows("release of an owner that holds nothing") { () throws(IPPoolError) in
        try pool.release(subinstance: "a", resource: "one")
    }
    t.expect(
        twice == .unknownOwner(subinstance: "a", resource: "one"), "a second release throws .unknownOwner: \(twice)")
    t.expectThrows("release of an unknown subinstance") { () throws(IPPoolError) in
        try pool.release(subinstance: "nobody", resource: "nothing")
    }
    t.expect(pool.binding(for: reused) != nil, "a failed release changes nothing")

    // By address: release one, then ask for that very address.
    let binding = t.expectNoThrow("release(\(second))") { () throws(IPPoolError) in try pool.release(second) }
    t.expectEqual(binding.resource, "two", "release(ip) returns the binding it had")
    let unknown = t.expectThrows("release of a free address") { () throws(IPPoolError) in try pool.release(second) }
    t.expect(unknown == .unknownBinding(second), "releasing a free address throws .unknownBinding: \(unknown)")
    let chosen = t.expectNoThrow("allocate(\(second), d, four)") { () throws(IPPoolError) in
        try pool.allocate(second, subinstance: "d", resource: "four", type: .custom("chosen"))
    }
    t.expect(chosen == second, "allocate(ip) hands out that very address")
    let held = t.expectThrows("allocate an address another owner holds") { () throws(IPPoolError) in
        try pool.allocate(second, subinstance: "e", resource: "five", type: .custom("chosen"))
    }
    t.expect(
        held == .addressHeldByAnotherOwner(second, subinstance: "d", resource: "four"), "names the holder: \(held)")
    let reserved = parsed("192.168.1.3", t)
    let broadcast = t.expectThrows("allocate the broadcast address") { () throws(IPPoolError) in
        try pool.allocate(reserved, subinstance: "e", resource: "five", type: .custom("chosen"))
    }
    if case .reservedAddress(let ip, _) = broadcast {
        t.expect(ip == reserved, "the error names \(reserved)")
    } else {
        t.fail("allocating 192.168.1.3 in 192.168.1.0/30 threw \(broadcast), expected .reservedAddress")
    }
    let outside = parsed("192.168.2.1", t)
    let outsideError = t.expectThrows("allocate an address outside every range") { () throws(IPPoolError) in
        try pool.allocate(outside, subinstance: "e", resource: "five", type: .custom("chosen"))
    }
    t.expect(
        outsideError == .addressOutsideRanges(outside, pool: "wasm-release"),
        "names the address and the pool: \(outsideError)")
}

func testBindings(_ t: Checker) {
    let pool = IPPool(name: "wasm-bindings")
    addRange("172.16.0.0/24", to: pool, t)
    let web = allocate(pool, "tenant-a", "web", type: .vm("web-vm-001"), t)
    let db = allocate(pool, "tenant-a", "db", type: .container("db-container"), t)
    let api = allocate(pool, "tenant-b", "api", type: .custom("api-socket"), t)

    guard let binding = pool.binding(for: web) else { t.fail("no binding for \(web)") }
    t.expect(binding.ip == web, "binding.ip")
    t.expectEqual(binding.subinstance, "tenant-a", "binding.subinstance")
    t.expectEqual(binding.resource, "web", "binding.resource")
    t.expect(binding.type == .vm("web-vm-001"), "binding.type is .vm(\"web-vm-001\")")
    t.expectEqual(binding.pool, "wasm-bindings", "binding.pool")
    t.expect(pool.binding(for: db)?.type == .container("db-container"), "container binding type")
    t.expect(pool.binding(for: api)?.type == .custom("api-socket"), "custom binding type")

    let tenantA = pool.bindings(subinstance: "tenant-a")
    t.expectEqual(tenantA.count, 2, "bindings of tenant-a")
    t.expect(Set(tenantA.map { $0.ip }) == Set([web, db]), "tenant-a holds web and db")
    t.expectEqual(pool.bindings(subinstance: "tenant-b").count, 1, "bindings of tenant-b")
    t.expectEqual(pool.bindings(subinstance: "tenant-c").count, 0, "bindings of an unknown tenant")
    t.expect(pool.binding(for: parsed("172.16.0.200", t)) == nil, "no binding for a free address")
    t.expect(allocate(pool, "tenant-a", "web", type: .vm("web-vm-001"), t) == web, "allocate is idempotent per owner")
}

func testBadRanges(_ t: Checker) {
    let pool = IPPool(name: "wasm-ranges")
    addRange("10.10.0.0/24", to: pool, t)
    for bad in ["10.10.1.0/33", "not-a-range", "10.10.1.1/24", "", "::/129", "10.10.1.0/24 "] {
        let error = t.expectThrows("addCIDRRange(\"\(bad)\")") { () throws(IPPoolError) in try pool.addCIDRRange(bad) }
        if case .malformedRange(let parse) = error {
            t.expect(parse.text == bad, "\"\(bad)\" throws .malformedRange naming it: \(error)")
        } else {
            t.fail("addCIDRRange(\"\(bad)\") threw \(error), expected .malformedRange")
        }
    }
    guard let existing = IPNetwork("10.10.0.0/24") else { t.fail("IPNetwork(\"10.10.0.0/24\") is nil") }
    for overlapping in ["10.10.0.128/25", "10.0.0.0/8", "10.10.0.7/32"] {
        let error = t.expectThrows("addCIDRRange(\"\(overlapping)\") overlaps 10.10.0.0/24") { () throws(IPPoolError) in
            try pool.addCIDRRange(overlapping)
        }
        if case .overlappingRange(let range, let other) = error {
            t.expect(range.description == overlapping && other == existing, "names both ranges: \(error)")
        } else {
            t.fail("addCIDRRange(\"\(overlapping)\") threw \(error), expected .overlappingRange")
        }
    }
    t.expectEqual(pool.ranges.count, 1, "refused ranges change nothing")
    addRange("10.10.1.0/24", to: pool, t)
    addRange("fd00:1::/120", to: pool, t)
    t.expectEqual(pool.ranges.count, 3, "v4 and v6 ranges side by side")
}

func testIPv6Range(_ t: Checker) {
    let pool = IPPool(name: "wasm-v6")
    addRange("fd00:abcd::/64", to: pool, t)
    guard let network = IPNetwork("fd00:abcd::/64") else { t.fail("IPNetwork(\"fd00:abcd::/64\") is nil") }
    var held: [IPAddress] = []
    var seen = Set<IPAddress>()
    for index in 0..<500 {
        let ip = allocate(pool, "v6-tenant", "r\(index)", type: .container("c\(index)"), t)
        t.expect(ip.family == .ipv6, "\(ip) is IPv6")
        t.expect(network.contains(ip), "\(ip) lies in fd00:abcd::/64")
        t.expect(seen.insert(ip).inserted, "\(ip) was handed out once only")
        held.append(ip)
    }
    for index in stride(from: 0, to: 500, by: 2) {
        t.expectNoThrow("release(v6-tenant, r\(index))") { () throws(IPPoolError) in
            try pool.release(subinstance: "v6-tenant", resource: "r\(index)")
        }
        t.expect(pool.binding(for: held[index]) == nil, "\(held[index]) is free after its release")
    }
    t.expectEqual(pool.bindings(subinstance: "v6-tenant").count, 250, "bindings left after releasing half")
    var current = Set(pool.bindings(subinstance: "v6-tenant").map { $0.ip })
    for index in 0..<250 {
        let ip = allocate(pool, "v6-other", "n\(index)", t)
        t.expect(network.contains(ip), "\(ip) lies in fd00:abcd::/64")
        t.expect(current.insert(ip).inserted, "\(ip) is not held by anyone else")
    }
    t.expectEqual(current.count, 500, "distinct addresses held after the refill")
    t.expect(!current.contains(network.address), "the subnet-router anycast address fd00:abcd:: is never handed out")
    let stats = pool.statistics
    t.expect(stats.total == AddressCount((UInt128(1) << 64) - 1), "a /64 offers 2^64 - 1 addresses: \(stats.total)")
    t.expect(stats.allocated == 500, "500 allocated: \(stats.allocated)")
}

func testPointToPoint(_ t: Checker) {
    // RFC 3021: a /31 has no network or broadcast address, so both addresses are handed out;
    // a /32 holds its one address.
    let pool = IPPool(name: "wasm-p2p")
    addRange("10.99.0.0/31", to: pool, t)
    addRange("10.99.0.8/32", to: pool, t)
    let handedOut = Set(["a", "b", "c"].map { allocate(pool, "link", $0, t) })
    let expected = Set(["10.99.0.0", "10.99.0.1", "10.99.0.8"].map { parsed($0, t) })
    t.expect(handedOut == expected, "a /31 and a /32 hand out all three addresses")
    t.expectThrows("a 4th allocation from a /31 and a /32") { () throws(IPPoolError) in
        try pool.allocate(subinstance: "link", resource: "d", type: .custom("x"))
    }
}

func testLargeRange(_ t: Checker) {
    // 4094 usable addresses: enough to fill more than one 64-bit leaf word of the allocator
    // and its summary level.
    let pool = IPPool(name: "wasm-large")
    addRange("10.64.0.0/20", to: pool, t)
    var seen = Set<IPAddress>()
    for index in 0..<4094 {
        let ip = (try? pool.allocate(subinstance: "bulk", resource: "r\(index)", type: .custom("x")))
        guard let ip else { t.fail("allocation \(index) of 4094 from 10.64.0.0/20 failed") }
        guard seen.insert(ip).inserted else { t.fail("\(ip) was handed out twice") }
    }
    t.expectEqual(seen.count, 4094, "distinct addresses in a full /20")
    t.expectThrows("allocation 4095 from a full /20") { () throws(IPPoolError) in
        try pool.allocate(subinstance: "bulk", resource: "overflow", type: .custom("x"))
    }
    t.expectNoThrow("release(bulk, r1000)") { () throws(IPPoolError) in
        try pool.release(subinstance: "bulk", resource: "r1000")
    }
    let refill = allocate(pool, "bulk", "late", type: .custom("x"), t)
    t.expect(pool.binding(for: refill)?.resource == "late", "the freed address goes to the late owner")
}

func testReconcile(_ t: Checker) {
    let pool = IPPool(name: "wasm-reconcile")
    addRange("10.77.0.0/28", to: pool, t)
    let kept = allocate(pool, "alive", "web", t)
    let gone = [allocate(pool, "crashed", "web", t), allocate(pool, "crashed", "db", t)]
    let released = t.expectNoThrow("reconcile(liveOwners: [alive])") { () throws(IPPoolError) in
        try pool.reconcile(liveOwners: ["alive"])
    }
    t.expect(Set(released.map { $0.ip }) == Set(gone), "reconcile releases the two bindings of the gone owner")
    t.expect(pool.binding(for: kept)?.subinstance == "alive", "the live owner keeps \(kept)")
    t.expect(gone.allSatisfy { pool.binding(for: $0) == nil }, "the gone owner's addresses are free")
    t.expectEqual(pool.allBindings().count, 1, "one binding left")
}
