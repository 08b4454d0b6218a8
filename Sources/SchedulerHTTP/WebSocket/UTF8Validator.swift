/// Checks UTF-8 incrementally, piece by piece (a text message arrives in fragments that may
/// split a character): ASCII eight bytes at a time, the rest by the ranges of Unicode's
/// table 3-7 (no overlong forms, no surrogates, nothing above U+10FFFF).
public struct UTF8Validator: Sendable {
    /// Continuation bytes still owed by the character in progress.
    @usableFromInline var remaining: UInt8 = 0
    /// The range the next continuation byte must fall in.
    @usableFromInline var low: UInt8 = 0x80
    @usableFromInline var high: UInt8 = 0xBF

    /// A validator at the start of a text.
    public init() {}

    /// Whether the text so far ends on a character boundary (a complete text must).
    public var isComplete: Bool { remaining == 0 }

    /// Checks the next piece; false as soon as the bytes cannot be UTF-8 whatever follows.
    @inlinable
    public mutating func validate(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        while index < count {
            if remaining == 0 {
                // Fast path: whole words of ASCII.
                while index + 16 <= count {
                    let a = (base + index).loadUnaligned(as: UInt64.self)
                    let b = (base + index + 8).loadUnaligned(as: UInt64.self)
                    if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 16
                }
                if index >= count { break }
                let byte = buffer[index]
                index += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: remaining = 1; low = 0x80; high = 0xBF
                case 0xE0: remaining = 2; low = 0xA0; high = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: remaining = 2; low = 0x80; high = 0xBF
                case 0xED: remaining = 2; low = 0x80; high = 0x9F
                case 0xF0: remaining = 3; low = 0x90; high = 0xBF
                case 0xF1...0xF3: remaining = 3; low = 0x80; high = 0xBF
                case 0xF4: remaining = 3; low = 0x80; high = 0x8F
                default: return false
                }
            } else {
                let byte = buffer[index]
                guard byte >= low && byte <= high else { return false }
                index += 1
                remaining -= 1
                low = 0x80
                high = 0xBF
            }
        }
        return true
    }

    /// Checks the next piece of an array.
    @inlinable
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }
}
