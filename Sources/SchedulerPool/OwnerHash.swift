/// The keyed hash under which `PoolState.byOwner` indexes an owner (subinstance, resource).
///
/// It reads the UTF-8 bytes of both names eight at a time and folds each word into the state
/// with one 64x64->128-bit multiply (the wyhash step). Against `Hasher` (SipHash-1-3, one
/// `combine` per string plus a terminator) this is a few multiplies for short names. The key
/// comes from the process's random hashing seed, so names chosen to collide in one process do
/// not collide in another; a collision only costs a string comparison, never a wrong answer.
struct OwnerHash {
    /// The secret key, drawn once per pool state.
    let key: UInt64

    /// A key drawn from the process's random hashing seed.
    init() {
        var hasher = Hasher()
        hasher.combine(0x6F77_6E65_7273 as UInt64)
        key = UInt64(truncatingIfNeeded: hasher.finalize())
    }

    /// The 32-bit hash of the owner (subinstance, resource), which `SlotIndex` stores as its tag.
    func callAsFunction(_ subinstance: String, _ resource: String) -> UInt32 {
        let state = Self.absorb(subinstance, key)
        return UInt32(truncatingIfNeeded: Self.absorb(resource, state))
    }

    private static let wordFactor: UInt64 = 0xA076_1D64_78BD_642F
    private static let stateFactor: UInt64 = 0xE703_7ED1_A0B4_28DB

    /// Folds the two factors: the high and low halves of their 128-bit product, xored.
    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// Folds `text`'s UTF-8 bytes and length into `state`.
    @inline(__always)
    private static func absorb(_ text: String, _ state: UInt64) -> UInt64 {
        if let folded = text.utf8.withContiguousStorageIfAvailable({ absorb(UnsafeRawBufferPointer($0), state) }) {
            return folded
        }
        return Array(text.utf8).withUnsafeBytes { absorb($0, state) }
    }

    /// Folds `bytes` and their count into `state`: whole words, then the last 1 to 8 bytes read
    /// as at most two overlapping loads (the count is folded in, so the overlap is harmless).
    @inline(__always)
    private static func absorb(_ bytes: UnsafeRawBufferPointer, _ state: UInt64) -> UInt64 {
        let count = bytes.count
        var state = state ^ UInt64(truncatingIfNeeded: count) &* wordFactor
        var tail: UInt64 = 0
        if count > 8 {
            var offset = 0
            while offset + 8 < count {
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                state = fold(word ^ wordFactor, state ^ stateFactor)
                offset += 8
            }
            tail = bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            let first = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let last = bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            tail = UInt64(first) << 32 | UInt64(last)
        } else if count > 0 {
            tail = UInt64(bytes[0]) << 16 | UInt64(bytes[count >> 1]) << 8 | UInt64(bytes[count - 1])
        }
        return fold(tail ^ wordFactor, state ^ stateFactor)
    }
}
