import CSchedulerAllocator

/// The offsets of one range, kept by the C sparse hierarchical bitmap (`cschedalloc`).
final class RangeAllocator {
    /// The C allocator. `PoolRange` keeps a copy for the hot paths, which call the static forms
    /// below on it so that they need not retain this object (the range keeps it alive).
    let handle: OpaquePointer

    /// An allocator for 2^hostBits offsets, all free.
    init(hostBits: Int) throws(IPPoolError) {
        var created: OpaquePointer? = nil
        let result = cschedalloc_create(UInt32(hostBits), &created)
        guard result == 0, let created else { throw IPPoolError.outOfMemory(operation: "create range allocator") }
        handle = created
    }

    deinit { cschedalloc_destroy(handle) }

    /// The lowest free offset, now marked used; `nil` when the range is full.
    func allocate() throws(IPPoolError) -> UInt128? {
        var offset = cschedalloc_offset()
        let result = cschedalloc_allocate(handle, &offset)
        switch Int(result) {
        case 0: return UInt128(offset.high) << 64 | UInt128(offset.low)
        case CSCHEDALLOC_ENOSPC: return nil
        default: throw IPPoolError.outOfMemory(operation: "allocate")
        }
    }

    /// Marks `offset` used; false if it already was.
    func mark(_ offset: UInt128) throws(IPPoolError) -> Bool {
        let result = cschedalloc_mark(handle, Self.cOffset(offset))
        switch Int(result) {
        case 0: return true
        case CSCHEDALLOC_EEXIST: return false
        case CSCHEDALLOC_ENOMEM: throw IPPoolError.outOfMemory(operation: "mark offset")
        default: preconditionFailure("cschedalloc_mark: offset outside the range")
        }
    }

    /// The lowest free offset, now marked used with `value` stored beside it; `nil` when the range is full.
    func allocate(value: UInt64) throws(IPPoolError) -> UInt128? {
        try Self.allocate(handle, value: value)
    }

    /// `allocate(value:)` on `handle`.
    @inline(__always)
    static func allocate(_ handle: OpaquePointer, value: UInt64) throws(IPPoolError) -> UInt128? {
        var offset = cschedalloc_offset()
        let result = cschedalloc_allocate_value(handle, value, &offset)
        switch Int(result) {
        case 0: return UInt128(offset.high) << 64 | UInt128(offset.low)
        case CSCHEDALLOC_ENOSPC: return nil
        default: throw IPPoolError.outOfMemory(operation: "allocate")
        }
    }

    /// Marks `offset` used with `value` stored beside it; false if it already was used.
    func mark(_ offset: UInt128, value: UInt64) throws(IPPoolError) -> Bool {
        let result = cschedalloc_mark_value(handle, Self.cOffset(offset), value)
        switch Int(result) {
        case 0: return true
        case CSCHEDALLOC_EEXIST: return false
        case CSCHEDALLOC_ENOMEM: throw IPPoolError.outOfMemory(operation: "mark offset")
        default: preconditionFailure("cschedalloc_mark_value: offset outside the range")
        }
    }

    /// The value stored with `offset`, or `nil` if it is free or was marked without one.
    func value(at offset: UInt128) -> UInt64? {
        Self.value(handle, at: offset)
    }

    /// `value(at:)` on `handle`.
    static func value(_ handle: OpaquePointer, at offset: UInt128) -> UInt64? {
        var value: UInt64 = 0
        return cschedalloc_value(handle, Self.cOffset(offset), &value) == 0 ? value : nil
    }

    /// Marks `offset` free and returns the value stored with it, in one walk; `nil`, with
    /// nothing changed, when the offset is free or carries no value.
    @inline(__always)
    static func take(_ handle: OpaquePointer, _ offset: UInt128) -> UInt64? {
        var value: UInt64 = 0
        return cschedalloc_take(handle, Self.cOffset(offset), &value) == 0 ? value : nil
    }

    /// Marks `offset` free; false if it was not used.
    func unmark(_ offset: UInt128) -> Bool {
        Self.unmark(handle, offset)
    }

    /// `unmark(_:)` on `handle`.
    static func unmark(_ handle: OpaquePointer, _ offset: UInt128) -> Bool {
        let result = cschedalloc_unmark(handle, Self.cOffset(offset))
        switch Int(result) {
        case 0: return true
        case CSCHEDALLOC_ENOENT: return false
        default: preconditionFailure("cschedalloc_unmark: offset outside the range")
        }
    }

    /// Whether `offset` is in use.
    func isUsed(_ offset: UInt128) -> Bool {
        cschedalloc_test(handle, Self.cOffset(offset)) == 1
    }

    /// The number of offsets in use that carry a value.
    var valuedCount: UInt128 {
        let count = cschedalloc_valued(handle)
        return UInt128(count.high) << 64 | UInt128(count.low)
    }

    /// Bytes the C allocator holds for this range now.
    var memoryBytes: Int { cschedalloc_memory_bytes(handle) }

    @inline(__always)
    private static func cOffset(_ offset: UInt128) -> cschedalloc_offset {
        cschedalloc_offset(high: UInt64(truncatingIfNeeded: offset >> 64), low: UInt64(truncatingIfNeeded: offset))
    }
}
