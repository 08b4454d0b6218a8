// The C allocator on its own on wasm32, where pointers and size_t are 32 bits wide: the
// lowest-free order, exhaustion, mark and unmark errors, and 128-bit offsets stored sparsely.
import CSchedulerAllocator

/// An offset below 2^64.
func offset(_ low: UInt64) -> cschedalloc_offset {
    cschedalloc_offset(high: 0, low: low)
}

/// Creates an allocator for 2^`hostBits` offsets, failing the run when the C side refuses.
func makeAllocator(hostBits: UInt32, _ t: Checker, line: UInt = #line) -> OpaquePointer {
    var allocator: OpaquePointer?
    let status = cschedalloc_create(hostBits, &allocator)
    guard status == 0, let allocator else { t.fail("cschedalloc_create(\(hostBits)) returned \(status)", line: line) }
    return allocator
}

func testAllocatorExhaustion(_ t: Checker) {
    // 2^13 offsets: two leaves of 4096 bits under one internal node.
    let allocator = makeAllocator(hostBits: 13, t)
    defer { cschedalloc_destroy(allocator) }
    var out = offset(0)
    for expected in 0..<UInt64(8192) {
        let status = cschedalloc_allocate(allocator, &out)
        guard status == 0, out.high == 0, out.low == expected else {
            t.fail("allocation \(expected) returned \(status), offset \(out.low); expected the lowest free one")
        }
    }
    t.expectEqual(cschedalloc_is_full(allocator), 1, "is_full after 8192 allocations")
    t.expect(Int(cschedalloc_allocate(allocator, &out)) == CSCHEDALLOC_ENOSPC, "a full allocator returns ENOSPC")
    t.expectEqual(cschedalloc_used(allocator).low, 8192, "used count when full")

    t.expectEqual(cschedalloc_unmark(allocator, offset(5000)), 0, "unmark 5000")
    t.expectEqual(cschedalloc_unmark(allocator, offset(77)), 0, "unmark 77")
    t.expect(Int(cschedalloc_unmark(allocator, offset(77))) == CSCHEDALLOC_ENOENT, "a second unmark returns ENOENT")
    t.expectEqual(cschedalloc_test(allocator, offset(77)), 0, "77 tests free")
    t.expectEqual(cschedalloc_allocate(allocator, &out), 0, "allocate after two unmarks")
    t.expectEqual(out.low, 77, "the lowest free offset comes first")
    t.expectEqual(cschedalloc_allocate(allocator, &out), 0, "allocate the other freed offset")
    t.expectEqual(out.low, 5000, "then the next freed one")
    t.expect(
        Int(cschedalloc_mark(allocator, offset(5000))) == CSCHEDALLOC_EEXIST, "marking a used offset returns EEXIST")
    t.expect(Int(cschedalloc_test(allocator, offset(8192))) == CSCHEDALLOC_ERANGE, "an offset past 2^13 returns ERANGE")
}

func testAllocatorSparse128(_ t: Checker) {
    var rejected: OpaquePointer?
    t.expect(Int(cschedalloc_create(129, &rejected)) == CSCHEDALLOC_EINVAL, "129 host bits return EINVAL")

    // A whole IPv6 space: memory follows what is marked, not the 2^128 offsets.
    let allocator = makeAllocator(hostBits: 128, t)
    defer { cschedalloc_destroy(allocator) }
    let empty = cschedalloc_memory_bytes(allocator)
    let top = cschedalloc_offset(high: UInt64.max, low: UInt64.max)
    let middle = cschedalloc_offset(high: 1 << 63, low: 12345)
    t.expectEqual(cschedalloc_mark(allocator, top), 0, "mark 2^128 - 1")
    t.expectEqual(cschedalloc_mark(allocator, middle), 0, "mark 2^127 + 12345")
    t.expectEqual(cschedalloc_test(allocator, top), 1, "2^128 - 1 tests used")
    t.expectEqual(
        cschedalloc_test(allocator, cschedalloc_offset(high: UInt64.max, low: UInt64.max - 1)), 0,
        "its neighbour tests free")
    var out = offset(0)
    t.expectEqual(cschedalloc_allocate(allocator, &out), 0, "allocate in a sparse 2^128 range")
    t.expect(out.high == 0 && out.low == 0, "the lowest free offset is 0")
    let used = cschedalloc_used(allocator)
    t.expect(used.high == 0 && used.low == 3, "three offsets in use")
    let holding = cschedalloc_memory_bytes(allocator)
    t.expect(holding < 64 * 1024, "three marks in a 2^128 range hold \(holding) bytes, under 64 KiB")
    t.expectEqual(cschedalloc_unmark(allocator, top), 0, "unmark 2^128 - 1")
    t.expectEqual(cschedalloc_unmark(allocator, middle), 0, "unmark 2^127 + 12345")
    t.expectEqual(cschedalloc_unmark(allocator, out), 0, "unmark 0")
    t.expectEqual(cschedalloc_memory_bytes(allocator), empty, "emptied subtrees are freed")
}
