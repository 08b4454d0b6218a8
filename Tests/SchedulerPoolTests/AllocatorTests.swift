import Testing

@testable import SchedulerPool

/// The C sparse hierarchical bitmap under `IPPool`: lowest-free order, memory that follows the
/// allocations rather than the range size, and subtrees freed when they empty.
@Suite("Range allocator", .timeLimit(.minutes(2)))
struct AllocatorTests {
    @Test func handsOutTheLowestFreeOffset() throws {
        let allocator = try RangeAllocator(hostBits: 20)
        for expected in 0..<UInt128(5000) { #expect(try allocator.allocate() == expected) }
        #expect(allocator.unmark(4097))
        #expect(allocator.unmark(17))
        #expect(!allocator.unmark(17))
        #expect(try allocator.allocate() == 17)
        #expect(try allocator.allocate() == 4097)
        #expect(try allocator.allocate() == 5000)
        #expect(try !allocator.mark(5000))
        #expect(try allocator.mark(900_000))
        #expect(allocator.isUsed(900_000))
        #expect(!allocator.isUsed(900_001))
    }

    @Test func storesAValueBesideEachOffset() throws {
        let allocator = try RangeAllocator(hostBits: 64)
        let empty = allocator.memoryBytes
        #expect(try allocator.allocate(value: 7) == 0)
        #expect(try allocator.mark(1 << 40, value: 9))
        #expect(try allocator.mark(5))  // no value
        #expect(allocator.value(at: 0) == 7)
        #expect(allocator.value(at: 1 << 40) == 9)
        #expect(allocator.value(at: 5) == nil)
        #expect(allocator.value(at: 6) == nil)
        #expect(allocator.unmark(0))
        #expect(allocator.value(at: 0) == nil)
        #expect(try allocator.allocate(value: 11) == 0)
        #expect(allocator.value(at: 0) == 11)
        for offset: UInt128 in [0, 1 << 40, 5] { #expect(allocator.unmark(offset)) }
        #expect(allocator.memoryBytes == empty)
    }

    @Test func takeFreesAnOffsetAndReturnsItsValueInOneCall() throws {
        let allocator = try RangeAllocator(hostBits: 64)
        let empty = allocator.memoryBytes
        let wide: UInt64 = 0xFEED_0000_0000_0003  // the pool packs an owner hash into the high half
        #expect(try allocator.mark(1 << 40, value: wide))
        #expect(try allocator.mark(5))  // in use without a value, like a quarantined address
        #expect(allocator.valuedCount == 1)
        #expect(RangeAllocator.take(allocator.handle, 1 << 40) == wide)
        #expect(!allocator.isUsed(1 << 40))
        #expect(allocator.valuedCount == 0)
        // A free offset and one without a value: nil, and nothing changes.
        #expect(RangeAllocator.take(allocator.handle, 1 << 40) == nil)
        #expect(RangeAllocator.take(allocator.handle, 5) == nil)
        #expect(allocator.isUsed(5))
        #expect(allocator.unmark(5))
        #expect(allocator.memoryBytes == empty)
    }

    @Test(arguments: [0, 1, 5, 6, 7, 12, 13, 18, 19])
    func fillsExactlyToCapacity(hostBits: Int) throws {
        let allocator = try RangeAllocator(hostBits: hostBits)
        var seen = Set<UInt128>()
        while let offset = try allocator.allocate() {
            #expect(offset < UInt128(1) << UInt128(hostBits))
            #expect(seen.insert(offset).inserted)
        }
        #expect(seen.count == 1 << hostBits)
        #expect(allocator.unmark(UInt128(seen.count - 1)))
        #expect(try allocator.allocate() == UInt128(seen.count - 1))
        #expect(try allocator.allocate() == nil)
    }

    @Test func memoryFollowsAllocationsNotRangeSize() throws {
        let empty = try RangeAllocator(hostBits: 128).memoryBytes
        let allocator = try RangeAllocator(hostBits: 128)
        var random = SeededGenerator(seed: 9)
        var offsets: [UInt128] = []
        for _ in 0..<200 {
            let offset = UInt128(random.next()) << 64 | UInt128(random.next())
            #expect(try allocator.mark(offset))
            offsets.append(offset)
        }
        let scattered = allocator.memoryBytes
        #expect(scattered > empty)
        #expect(scattered < 200 * 20 * 600)  // at most one 64-way path of ~600-byte nodes per address
        for offset in offsets { #expect(allocator.unmark(offset)) }
        #expect(allocator.memoryBytes == empty)  // every emptied subtree was freed

        for _ in 0..<100_000 { _ = try allocator.allocate() }
        #expect(allocator.memoryBytes < 100_000 / 4096 * 600 + 40 * 600)  // dense: about 1 bit per address
    }

    @Test func poolReportsAllocatorMemoryAndReturnsToItsBaseline() throws {
        let pool = IPPool(name: "memory")
        try pool.addCIDRRange("fd00::/64")
        let baseline = pool.statistics.allocatorBytes
        for index in 0..<20_000 {
            _ = try pool.allocate(subinstance: "s", resource: "r\(index)", type: .custom("x"))
        }
        #expect(pool.statistics.allocatorBytes > baseline)
        for index in 0..<20_000 { try pool.release(subinstance: "s", resource: "r\(index)") }
        #expect(pool.statistics.allocatorBytes == baseline)
        #expect(pool.statistics.allocated == 0)
    }
}
