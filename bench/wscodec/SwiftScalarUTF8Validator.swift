// The peer of `make bench-ws-codec`'s UTF-8 rows: the validator UTF8Validator was before its C
// core (pure Swift, ASCII sixteen bytes at a time, the rest one character at a time by Unicode's
// table 3-7), kept here unchanged so each run measures the two side by side.
struct SwiftScalarUTF8Validator {
    /// Continuation bytes still owed by the character in progress.
    var remaining: UInt8 = 0
    /// The range the next continuation byte must fall in.
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF

    /// A validator at the start of a text.
    init() {}

    /// Whether the text so far ends on a character boundary (a complete text must).
    var isComplete: Bool { remaining == 0 }

    /// Checks the next piece; false as soon as the bytes cannot be UTF-8 whatever follows.
    mutating func validate(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        // A character left open by the previous piece, byte by byte.
        while remaining != 0 && index < count {
            guard step(buffer[index]) else { return false }
            index += 1
        }
        // Whole characters while at least four bytes are left: no state kept between bytes.
        while index + 4 <= count {
            let b0 = buffer[index]
            if b0 < 0x80 {
                // Runs of ASCII sixteen bytes at a time.
                while index + 16 <= count {
                    let a = (base + index).loadUnaligned(as: UInt64.self)
                    let b = (base + index + 8).loadUnaligned(as: UInt64.self)
                    if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 16
                }
                while index < count - 3 && buffer[index] < 0x80 { index += 1 }
                continue
            }
            let b1 = buffer[index + 1]
            if b0 < 0xE0 {
                guard b0 >= 0xC2 && b1 & 0xC0 == 0x80 else { return false }
                index += 2
            } else if b0 < 0xF0 {
                let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
                let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard b1 >= low && b1 <= high && buffer[index + 2] & 0xC0 == 0x80 else { return false }
                index += 3
            } else {
                guard b0 <= 0xF4 else { return false }
                let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
                let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard b1 >= low && b1 <= high && buffer[index + 2] & 0xC0 == 0x80 && buffer[index + 3] & 0xC0 == 0x80
                else { return false }
                index += 4
            }
        }
        // The last bytes, which may leave a character open for the next piece.
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
    mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }
}
