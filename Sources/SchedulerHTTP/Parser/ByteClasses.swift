// Byte classes of RFC 9110/9112 as branch-light tests and one constant table.

// tchar as a 256-entry table of "0"/"1" in a StaticString: its bytes are a constant in the
// binary, so a lookup is one load (a Swift global array would check its lazy initialisation).
let tcharTable: StaticString = """
0000000000000000000000000000000001011111001101101111111111000000\
0111111111111111111111111110001111111111111111111111111111101010\
0000000000000000000000000000000000000000000000000000000000000000\
0000000000000000000000000000000000000000000000000000000000000000
"""

/// Whether `b` is a token character (RFC 9110 §5.6.2): "!#$%&'*+-.^_`|~", digits, letters.
@inline(__always) func isTChar(_ b: UInt8) -> Bool {
    tcharTable.utf8Start[Int(b)] == UInt8(ascii: "1")
}

/// Whether `b` may appear in a field value or reason phrase: HTAB, SP, VCHAR, obs-text.
@inline(__always) func isFieldByte(_ b: UInt8) -> Bool {
    (b >= 0x20 && b != 0x7F) || b == 0x09
}

/// Whether `b` is visible ASCII (VCHAR), the bytes a request target may hold.
@inline(__always) func isVisibleASCII(_ b: UInt8) -> Bool {
    b &- 0x21 < 0x5E
}

/// Whether `b` is SP or HTAB.
@inline(__always) func isOWS(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

/// The value of a hexadecimal digit, or nil.
@inline(__always) func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(b &- 48)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(b &- 87)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(b &- 55)
    default: nil
    }
}

/// Whether the bytes at `start..<start+name.count` equal the lowercase ASCII `name`, ignoring case.
/// Only for names made of letters, digits and "-" (the fields the parser reads itself).
@inline(__always) func equalsLowercased(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ name: StaticString)
    -> Bool
{
    let n = name.utf8CodeUnitCount
    guard end - start == n else { return false }
    let s = UnsafeRawPointer(name.utf8Start)
    // Two word compares that may overlap (the first and the last 8 or 4 bytes): the same test
    // as OR-ing 0x20 into each byte.
    if n >= 8 {
        let head = p.loadUnaligned(fromByteOffset: start, as: UInt64.self) | 0x2020_2020_2020_2020
        let tail = p.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self) | 0x2020_2020_2020_2020
        return head == s.loadUnaligned(as: UInt64.self) && tail == s.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    if n >= 4 {
        let head = p.loadUnaligned(fromByteOffset: start, as: UInt32.self) | 0x2020_2020
        let tail = p.loadUnaligned(fromByteOffset: end &- 4, as: UInt32.self) | 0x2020_2020
        return head == s.loadUnaligned(as: UInt32.self) && tail == s.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
    }
    for i in 0..<n where (p[start + i] | 0x20) != s.load(fromByteOffset: i, as: UInt8.self) { return false }
    return true
}
