/// Hands out free offsets of one range (interim Swift version; replaced by the C core).
final class RangeAllocator {
    private var used: Set<UInt128> = []
    private var cursor: UInt128 = 0
    private let size: AddressCount

    init(hostBits: Int) throws(IPPoolError) {
        size = AddressCount.powerOfTwo(hostBits)
    }

    /// A free offset, now marked used; `nil` when the range is full.
    func allocate() throws(IPPoolError) -> UInt128? {
        if AddressCount(UInt128(used.count)) == size { return nil }
        while used.contains(cursor) { cursor &+= 1; if AddressCount(cursor) >= size { cursor = 0 } }
        used.insert(cursor)
        return cursor
    }

    /// Marks `offset` used; false if it already was.
    func mark(_ offset: UInt128) throws(IPPoolError) -> Bool { used.insert(offset).inserted }

    /// Marks `offset` free; false if it was not used.
    func unmark(_ offset: UInt128) -> Bool { used.remove(offset) != nil }
}
