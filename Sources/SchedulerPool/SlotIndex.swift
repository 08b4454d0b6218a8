/// An open-addressing hash index from owners to the slots of their allocations in `HoldingTable`.
///
/// One `UInt64` per bucket (the owner's 32-bit hash, its tag, and the slot number), linear
/// probing, backward-shift deletion, at most half full, in raw memory (no uniqueness or bounds
/// checks on the hot path). It stores no keys: a lookup confirms a tag match by asking the
/// caller to compare the holding in that slot. Against a `Dictionary` of full keys this touches
/// one cache line per lookup instead of three, and takes 8 bytes per bucket.
struct SlotIndex: ~Copyable {
    private var buckets: UnsafeMutablePointer<UInt64>
    private var mask: Int
    /// The number of slots indexed.
    private(set) var count = 0

    /// An empty index.
    init() {
        mask = 15
        buckets = .allocate(capacity: mask + 1)
        buckets.initialize(repeating: 0, count: mask + 1)
    }

    deinit { buckets.deallocate() }

    private static func entry(tag: UInt32, slot: UInt32) -> UInt64 { UInt64(tag) << 32 | (UInt64(slot) + 1) }

    /// The slot stored under `tag` for which `matches` confirms the key, if any.
    @inline(__always)
    func slot(tag: UInt32, where matches: (UInt32) -> Bool) -> UInt32? {
        var position = Int(truncatingIfNeeded: tag) & mask
        while true {
            let entry = buckets[position]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == tag {
                let slot = UInt32(truncatingIfNeeded: entry - 1)
                if matches(slot) { return slot }
            }
            position = (position + 1) & mask
        }
    }

    /// Indexes `slot` under `tag` (the caller knows the key is not indexed yet).
    mutating func insert(tag: UInt32, slot: UInt32) {
        if (count + 1) * 2 > mask + 1 { grow() }
        place(Self.entry(tag: tag, slot: slot))
        count += 1
    }

    /// Removes `slot`, indexed under `tag`.
    mutating func remove(tag: UInt32, slot: UInt32) {
        let wanted = Self.entry(tag: tag, slot: slot)
        var hole = Int(truncatingIfNeeded: tag) & mask
        while buckets[hole] != wanted {
            precondition(buckets[hole] != 0, "SlotIndex.remove: the slot is not indexed")
            hole = (hole + 1) & mask
        }
        // Backward shift: pull later entries of the run into the hole unless that would put
        // them before their home bucket.
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Int(truncatingIfNeeded: buckets[next] >> 32) & mask
            let homeInGap = hole < next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeInGap {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        count -= 1
    }

    private mutating func place(_ entry: UInt64) {
        var position = Int(truncatingIfNeeded: entry >> 32) & mask
        while buckets[position] != 0 { position = (position + 1) & mask }
        buckets[position] = entry
    }

    private mutating func grow() {
        let old = buckets
        let oldCount = mask + 1
        mask = oldCount * 2 - 1
        buckets = .allocate(capacity: mask + 1)
        buckets.initialize(repeating: 0, count: mask + 1)
        for position in 0..<oldCount where old[position] != 0 { place(old[position]) }
        old.deallocate()
    }
}
