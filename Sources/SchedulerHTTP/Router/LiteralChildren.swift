/// A trie node's literal children, found by the raw bytes of a path segment: compared one by one
/// while there are few (most nodes), through an open-addressed hash table (FNV-1a) once there are
/// more than ``linearLimit``, so a lookup costs the segment's length, not the number of siblings.
struct LiteralChildren<Child> {
    /// Children compared one by one up to this many.
    static var linearLimit: Int { 8 }

    private(set) var keys: [[UInt8]] = []
    private(set) var children: [Child] = []
    /// Slot -> child index + 1 (0: empty); empty while `keys.count <= linearLimit`.
    private var table: [Int32] = []

    var count: Int { keys.count }

    /// The child under `key`, or nil.
    func child(_ key: UnsafeBufferPointer<UInt8>) -> Child? {
        if table.isEmpty {
            for index in keys.indices where Self.equal(keys[index], key) { return children[index] }
            return nil
        }
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let entry = Int(table[slot])
            if entry == 0 { return nil }
            if Self.equal(keys[entry - 1], key) { return children[entry - 1] }
            slot = (slot + 1) & mask
        }
    }

    /// The child under `key`, made by `make` and added when there is none.
    mutating func child(_ key: Substring, orAdd make: () -> Child) -> Child {
        let bytes = Array(key.utf8)
        if let existing = bytes.withUnsafeBufferPointer({ child($0) }) { return existing }
        let made = make()
        keys.append(bytes)
        children.append(made)
        if keys.count > Self.linearLimit { rebuildTable() }
        return made
    }

    /// The same keys with each child transformed (a deep copy of a trie).
    func map<New>(_ transform: (Child) -> New) -> LiteralChildren<New> {
        var copy = LiteralChildren<New>()
        copy.keys = keys
        copy.children = children.map(transform)
        copy.table = table
        return copy
    }

    private mutating func rebuildTable() {
        var size = 16
        while size < keys.count * 2 { size <<= 1 }
        table = Array(repeating: 0, count: size)
        for index in keys.indices {
            var slot = keys[index].withUnsafeBufferPointer { Int(truncatingIfNeeded: Self.hash($0)) } & (size - 1)
            while table[slot] != 0 { slot = (slot + 1) & (size - 1) }
            table[slot] = Int32(index + 1)
        }
    }

    private static func equal(_ key: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count == bytes.count else { return false }
        return key.withUnsafeBufferPointer { stored in
            for index in 0..<stored.count where stored[index] != bytes[index] { return false }
            return true
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash ^ (hash >> 29)
    }
}
