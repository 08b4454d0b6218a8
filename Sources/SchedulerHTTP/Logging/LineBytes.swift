/// Where a log line's bytes are appended: a growing array, or ``LineBytes`` in fixed memory.
protocol LineSink {
    /// Appends one byte.
    mutating func append(_ byte: UInt8)
    /// Appends `text`'s UTF-8 bytes.
    mutating func append(_ text: String)
}

extension Array: LineSink where Element == UInt8 {
    mutating func append(_ text: String) { append(contentsOf: text.utf8) }
}

/// A log line built in memory the caller provides (the stack, for a line of usual length): no
/// heap allocation per line. Bytes past `capacity` are dropped, so a caller that sized the
/// memory too small gets a cut line, never a write out of bounds.
struct LineBytes: LineSink {
    private let memory: UnsafeMutableBufferPointer<UInt8>
    /// The bytes appended so far.
    private(set) var count = 0

    /// A line written into `memory`, empty.
    init(_ memory: UnsafeMutableBufferPointer<UInt8>) {
        self.memory = memory
    }

    /// The line's bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(memory)[..<count]) }

    mutating func append(_ byte: UInt8) {
        guard count < memory.count else { return }
        memory[count] = byte
        count += 1
    }

    /// Ends the line with a newline, over its last byte when it is full.
    mutating func endLine() {
        guard !memory.isEmpty else { return }
        if count == memory.count { count -= 1 }
        append(UInt8(ascii: "\n"))
    }

    /// Appends `text`'s UTF-8 bytes (read in place: no copy of the string).
    mutating func append(_ text: borrowing String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append($0) }
        if done == nil { for byte in text.utf8 { append(byte) } }
    }

    /// Appends `text`'s UTF-8 bytes (read in place: no copy of the substring).
    mutating func append(_ text: borrowing Substring) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append($0) }
        if done == nil { for byte in text.utf8 { append(byte) } }
    }

    /// Appends `bytes`.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        let taken = min(bytes.count, memory.count - count)
        guard taken > 0 else { return }
        UnsafeMutableRawPointer(memory.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: taken)
        count += taken
    }

    /// Appends `value` in decimal.
    mutating func append(decimal value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { raw in
            var index = raw.count
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            append(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[index...]))
        }
    }
}
