internal import CSchedulerUTF8

/// Checks UTF-8 incrementally, piece by piece (a text message arrives in fragments that may
/// split a character): whole buffers in C with SIMD (CSchedulerUTF8: the lookup algorithm on
/// AVX2 or SSSE3), and the few bytes of a character split between pieces through a state machine
/// on the ranges of Unicode's table 3-7 (no overlong forms, no surrogates, nothing above U+10FFFF).
public struct UTF8Validator: Sendable {
    /// Continuation bytes still owed by the character in progress.
    var remaining: UInt8 = 0
    /// The range the next continuation byte must fall in.
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF

    /// A validator at the start of a text.
    public init() {}

    /// Whether the text so far ends on a character boundary (a complete text must).
    public var isComplete: Bool { remaining == 0 }

    /// Checks the next piece; false as soon as the bytes cannot be UTF-8 whatever follows.
    public mutating func validate(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        // A character left open by the previous piece, byte by byte.
        while remaining != 0 && index < count {
            guard step(buffer[index]) else { return false }
            index += 1
        }
        if index == count { return true }
        // The rest in C, up to a character this piece leaves open, whose bytes go through the
        // state machine so that the next piece can finish it.
        let open = csched_utf8_check(base.assumingMemoryBound(to: UInt8.self) + index, count - index)
        guard open >= 0 else { return false }
        index = count - open
        while index < count {
            guard step(buffer[index]) else { return false }
            index += 1
        }
        return true
    }

    /// One byte through the state machine (Unicode's table 3-7).
    mutating func step(_ byte: UInt8) -> Bool {
        if remaining != 0 {
            guard byte >= low && byte <= high else { return false }
            remaining -= 1
            low = 0x80
            high = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F: break
        case 0xC2...0xDF:
            remaining = 1
            low = 0x80
            high = 0xBF
        case 0xE0:
            remaining = 2
            low = 0xA0
            high = 0xBF
        case 0xE1...0xEC, 0xEE...0xEF:
            remaining = 2
            low = 0x80
            high = 0xBF
        case 0xED:
            remaining = 2
            low = 0x80
            high = 0x9F
        case 0xF0:
            remaining = 3
            low = 0x90
            high = 0xBF
        case 0xF1...0xF3:
            remaining = 3
            low = 0x80
            high = 0xBF
        case 0xF4:
            remaining = 3
            low = 0x80
            high = 0x8F
        default: return false
        }
        return true
    }

    /// Checks the next piece of an array.
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }
}
