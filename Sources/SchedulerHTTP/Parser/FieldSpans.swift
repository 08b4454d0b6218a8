/// The field spans of the head being parsed: an array kept at its full length, with a count of
/// the spans in use, so the C scanner writes a batch straight into it (no copy, no growth check
/// per line) and a new message starts by setting the count to zero.
/// (Inlinable so that `HTTPRequestHeadView`'s accessors inline into a caller's loop.)
@usableFromInline struct FieldSpans: RandomAccessCollection {
    @usableFromInline var storage: [FieldSpan] = []
    /// The spans in use.
    @usableFromInline var count = 0

    @inlinable var startIndex: Int { 0 }
    @inlinable var endIndex: Int { count }
    @inlinable subscript(position: Int) -> FieldSpan {
        precondition(position < count, "field index out of range")
        return storage[position]
    }

    /// Appends one span.
    mutating func append(_ span: FieldSpan) {
        reserve(1)
        storage[count] = span
        count += 1
    }

    /// Lets `fill` write up to `room` spans after the last one; it returns how many it wrote.
    mutating func appendInPlace(room: Int, _ fill: (UnsafeMutablePointer<FieldSpan>) -> Int) -> Int {
        reserve(room)
        let start = count
        let written = storage.withUnsafeMutableBufferPointer { fill($0.baseAddress! + start) }
        count += written
        return written
    }

    /// Forgets the spans, keeping the room.
    mutating func removeAll() { count = 0 }

    /// Grows the array (by doubling, at least 32) so that `more` spans fit after the last one.
    private mutating func reserve(_ more: Int) {
        let needed = count + more
        if needed <= storage.count { return }
        let zero = FieldSpan(nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0)
        storage.append(contentsOf: repeatElement(zero, count: Swift.max(needed, storage.count * 2, 32) - storage.count))
    }
}
