#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPTypes

/// The field names a thread's parsers have built, found again by their bytes.
///
/// Clients send the same names request after request (`sec-ch-ua`, `X-Api-Key`, ...), and
/// building an `HTTPField.Name` for a name that is not one of the static ones (a `String`,
/// swift-http-types' token check, a lowercased copy) costs several times more than finding it
/// again. An open-addressed table keyed by a hash of the bytes, compared byte for byte before
/// use, so a hit is exactly the name the bytes make. It starts at 8 slots and grows to 64; it
/// keeps the first 48 names (a client that makes up new names does not churn it), and none over
/// 64 bytes. One per thread (`current`): an event loop's connections share its names, and no
/// lock is taken.
final class FieldNameCache {
    private struct Entry {
        let hash: UInt64
        let bytes: [UInt8]
        let name: HTTPField.Name
    }

    /// The longest name kept.
    static let maxLength = 64
    private static let maxSlots = 64
    private var slots = [Entry?](repeating: nil, count: 8)
    private var count = 0

    /// The name these bytes were built into before, if it is here.
    @inline(__always)
    func name(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> HTTPField.Name? {
        let mask = slots.count &- 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while let entry = slots[index] {
            if entry.hash == hash && entry.bytes.withUnsafeBytes({ sameBytes($0, bytes) }) { return entry.name }
            index = (index &+ 1) & mask
        }
        return nil
    }

    /// Keeps `name`, built from `bytes` (not here yet), unless the table is full.
    func remember(_ name: HTTPField.Name, _ bytes: UnsafeRawBufferPointer, hash: UInt64) {
        if (count + 1) * 4 > slots.count * 3 {
            guard slots.count < Self.maxSlots else { return }
            grow()
        }
        insert(Entry(hash: hash, bytes: Array(bytes), name: name))
        count += 1
    }

    /// This thread's cache, made on first use and released when the thread ends. Use it only
    /// on the thread that got it (no `await` in between).
    static var current: FieldNameCache {
        if let stored = pthread_getspecific(threadKey) {
            return Unmanaged<FieldNameCache>.fromOpaque(stored).takeUnretainedValue()
        }
        let cache = FieldNameCache()
        pthread_setspecific(threadKey, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { stored in
            if let stored { Unmanaged<FieldNameCache>.fromOpaque(stored).release() }
        }
        return key
    }()

    private func insert(_ entry: Entry) {
        let mask = slots.count &- 1
        var index = Int(truncatingIfNeeded: entry.hash) & mask
        while slots[index] != nil { index = (index &+ 1) & mask }
        slots[index] = entry
    }

    private func grow() {
        let old = slots
        slots = [Entry?](repeating: nil, count: old.count * 2)
        for case let entry? in old { insert(entry) }
    }

    /// A 64-bit hash of `bytes` (at most `maxLength` of them), eight at a time.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        var index = 0
        while index &+ 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            index &+= 8
        }
        if index < bytes.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count {
                tail |= UInt64(bytes[index]) << shift
                shift &+= 8
                index &+= 1
            }
            hash = (hash ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        return hash ^ (hash >> 29)
    }
}

/// Whether two byte runs are equal, eight bytes at a time.
@inline(__always)
func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    var index = 0
    while index &+ 8 <= a.count {
        if a.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            != b.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        {
            return false
        }
        index &+= 8
    }
    while index < a.count {
        if a[index] != b[index] { return false }
        index &+= 1
    }
    return true
}
