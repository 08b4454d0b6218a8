// Byte classes of RFC 9110/9112 as branch-light tests (no global tables: a Swift global array
// costs a lazy-initialisation check on every access).

// tchar as two 64-bit masks: "!#$%&'*+-.^_`|~", digits and letters.
@usableFromInline let tcharMaskLow: UInt64 = 0x03FF_6CFA_0000_0000
@usableFromInline let tcharMaskHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

/// Whether `b` is a token character (RFC 9110 §5.6.2).
@inline(__always) func isTChar(_ b: UInt8) -> Bool {
    if b < 64 { return (tcharMaskLow >> UInt64(b)) & 1 != 0 }
    if b < 128 { return (tcharMaskHigh >> UInt64(b &- 64)) & 1 != 0 }
    return false
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
    let s = name.utf8Start
    for i in 0..<n where (p[start + i] | 0x20) != s[i] { return false }
    return true
}
