/// The field spans of the head being parsed: a buffer kept at its full size, with a count of the
/// spans in use, so the C scanner writes a batch straight into it (no copy, no growth check per
/// line) and a new message starts by setting the count to zero. Copies share the buffer until one
/// of them writes (copy on write), as an array's would.
struct FieldSpans: RandomAccessCollection {
    /// The buffer, allocated on the first span.
    var storage: FieldSpanStorage? = nil
    /// The spans in use.
    var count = 0

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(position: Int) -> FieldSpan {
        precondition(position >= 0 && position < count, "field index out of range")
        return storage.unsafelyUnwrapped.base[position]
    }

    /// The first span: valid until the next change (for a view handed out between steps).
    var base: UnsafePointer<FieldSpan>? { storage.map { UnsafePointer($0.base) } }

    /// Appends one span.
    mutating func append(_ span: FieldSpan) {
        reserve(1)
        storage.unsafelyUnwrapped.base[count] = span
        count += 1
    }

    /// Lets `fill` write up to `room` spans after the last one; it returns how many it wrote.
    mutating func appendInPlace(room: Int, _ fill: (UnsafeMutablePointer<FieldSpan>) -> Int) -> Int {
        reserve(room)
        let written = fill(storage.unsafelyUnwrapped.base + count)
        count += written
        return written
    }

    /// Forgets the spans, keeping the room.
    mutating func removeAll() { count = 0 }

    /// Makes room for `more` spans after the last one in a buffer this value alone holds
    /// (growing by doubling, at least 32).
    @inline(__always)
    private mutating func reserve(_ more: Int) {
        let needed = count + more
        let capacity = storage?.capacity ?? 0
        if needed <= capacity && isKnownUniquelyReferenced(&storage) { return }
        grow(needed, capacity)
    }

    private mutating func grow(_ needed: Int, _ capacity: Int) {
        let grown = FieldSpanStorage(capacity: needed <= capacity ? capacity : Swift.max(needed, capacity * 2, 32))
        if count > 0 { grown.base.update(from: storage.unsafelyUnwrapped.base, count: count) }
        storage = grown
    }
}

/// The heap buffer behind `FieldSpans`.
final class FieldSpanStorage {
    let base: UnsafeMutablePointer<FieldSpan>
    let capacity: Int

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        base.initialize(repeating: FieldSpan(nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0), count: capacity)
        self.capacity = capacity
    }

    deinit { base.deallocate() }
}
