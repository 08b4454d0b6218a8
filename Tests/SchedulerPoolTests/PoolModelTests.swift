import Testing

@testable import SchedulerPool

/// 100k random operations on a pool, each checked against a reference model built on `Set`
/// and `Dictionary`. The allocator hands out the lowest free address, so the model predicts
/// every allocation exactly.
@Suite("IPPool against a reference model", .timeLimit(.minutes(3)))
struct PoolModelTests {
    struct Owner: Hashable {
        let subinstance: String
        let resource: String
    }

    /// The reference: which usable offsets are held, and by whom.
    struct Model {
        let network: IPNetwork
        let reserved: Set<UInt128>
        var used: Set<UInt128> = []
        var holder: [UInt128: Owner] = [:]
        var address: [Owner: UInt128] = [:]

        var usable: UInt128 { network.count.uint128Value! - UInt128(reserved.count) }

        func lowestFree() -> UInt128? {
            guard UInt128(used.count) < usable else { return nil }
            var offset: UInt128 = 0
            while used.contains(offset) || reserved.contains(offset) { offset += 1 }
            return offset
        }

        mutating func take(_ offset: UInt128, _ owner: Owner) {
            used.insert(offset)
            holder[offset] = owner
            address[owner] = offset
        }

        mutating func drop(_ offset: UInt128) {
            let owner = holder.removeValue(forKey: offset)!
            used.remove(offset)
            address[owner] = nil
        }
    }

    static func ip(_ network: IPNetwork, _ offset: UInt128) -> IPAddress {
        IPAddress(family: network.family, bits: network.address.bits | offset)
    }

    func run(cidr: String, owners ownerCount: Int, window: UInt128, seed: UInt64) throws {
        let network = try #require(IPNetwork(cidr))
        let reserved: Set<UInt128> =
            network.family == .ipv4
            ? (network.prefixLength < 31 ? [0, network.hostMask] : [])
            : (network.prefixLength < 127 ? [0] : [])
        var model = Model(network: network, reserved: reserved)
        let pool = IPPool(name: "model")
        try pool.addCIDRRange(cidr)
        var random = SeededGenerator(seed: seed)
        let owners = (0..<ownerCount).map { Owner(subinstance: "s\($0 % 7)", resource: "r\($0)") }
        // Specific addresses come from a window at the start and, for large ranges, from the far end.
        func randomOffset() -> UInt128 {
            let near = UInt128(random.roll(Int(window)))
            return random.roll(4) == 0 ? network.hostMask - near : near
        }

        for step in 0..<100_000 {
            let owner = owners[random.roll(ownerCount)]
            switch random.roll(10) {
            case 0..<4:  // allocate
                let result = Result { () throws(IPPoolError) in
                    try pool.allocate(subinstance: owner.subinstance, resource: owner.resource, type: .vm("m"))
                }
                if let held = model.address[owner] {
                    #expect(try result.get() == Self.ip(network, held))
                } else if let free = model.lowestFree() {
                    #expect(try result.get() == Self.ip(network, free), "step \(step)")
                    model.take(free, owner)
                } else {
                    #expect(throws: IPPoolError.exhausted(pool: "model")) { try result.get() }
                }
            case 4..<6:  // allocate a given address
                let offset = randomOffset()
                let ip = Self.ip(network, offset)
                let result = Result { () throws(IPPoolError) in
                    try pool.allocate(ip, subinstance: owner.subinstance, resource: owner.resource, type: .vm("m"))
                }
                if let holder = model.holder[offset] {
                    if holder == owner {
                        #expect(try result.get() == ip)
                    } else {
                        #expect(
                            throws: IPPoolError.addressHeldByAnotherOwner(
                                ip, subinstance: holder.subinstance, resource: holder.resource)
                        ) { try result.get() }
                    }
                } else if reserved.contains(offset) {
                    #expect(throws: IPPoolError.reservedAddress(ip, range: network)) { try result.get() }
                } else if let held = model.address[owner] {
                    #expect(
                        throws: IPPoolError.ownerHoldsAnotherAddress(
                            subinstance: owner.subinstance, resource: owner.resource, held: Self.ip(network, held))
                    ) {
                        try result.get()
                    }
                } else {
                    #expect(try result.get() == ip)
                    model.take(offset, owner)
                }
            case 6..<8:  // release by owner
                let result = Result { () throws(IPPoolError) in
                    try pool.release(subinstance: owner.subinstance, resource: owner.resource)
                }
                if let held = model.address[owner] {
                    #expect(try result.get() == Self.ip(network, held))
                    model.drop(held)
                } else {
                    #expect(throws: IPPoolError.unknownOwner(subinstance: owner.subinstance, resource: owner.resource))
                    {
                        try result.get()
                    }
                }
            case 8:  // release by address
                let offset = model.used.isEmpty || random.roll(2) == 0 ? randomOffset() : model.used.first!
                let ip = Self.ip(network, offset)
                let result = Result { () throws(IPPoolError) in try pool.release(ip) }
                if let holder = model.holder[offset] {
                    #expect(try result.get().subinstance == holder.subinstance)
                    model.drop(offset)
                } else {
                    #expect(throws: IPPoolError.unknownBinding(ip)) { try result.get() }
                }
            default:  // look up
                let offset = randomOffset()
                let binding = pool.binding(for: Self.ip(network, offset))
                #expect(binding?.resource == model.holder[offset]?.resource)
                #expect(binding?.isActive ?? true)
            }
            if step % 10_000 == 0 || step == 99_999 {
                let statistics = pool.statistics
                #expect(statistics.allocated == AddressCount(UInt128(model.used.count)))
                #expect(statistics.total == AddressCount(model.usable))
                #expect(pool.allBindings().count == model.used.count)
            }
        }
    }

    @Test func smallIPv4Range() throws {
        try run(cidr: "192.168.7.0/26", owners: 90, window: 64, seed: 1)
    }

    @Test func largeIPv6Range() throws {
        try run(cidr: "2001:db8:5::/48", owners: 3000, window: 10_000, seed: 2)
    }

    @Test func largeIPv4Range() throws {
        try run(cidr: "10.128.0.0/9", owners: 3000, window: 50_000, seed: 3)
    }
}
