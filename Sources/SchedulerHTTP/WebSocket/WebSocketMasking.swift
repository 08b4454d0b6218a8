/// XOR masking of payloads (RFC 6455 §5.3), eight bytes at a time.
public enum WebSocketMasking {
    /// Masks (or unmasks: the operation is its own inverse) `buffer` with the four-byte `key`
    /// in wire order, starting `phase` bytes into the payload (for a payload masked in pieces).
    @inlinable
    public static func apply(
        _ key: (UInt8, UInt8, UInt8, UInt8), to buffer: UnsafeMutableRawBufferPointer, phase: Int = 0
    ) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // The key as it lines up with the first byte of the buffer, repeated to eight bytes in
        // memory order; no array, so masking a frame allocates nothing.
        let inOrder = withUnsafeBytes(of: key) { $0.loadUnaligned(as: UInt32.self) }
        let shift = UInt32(phase & 3) * 8
        #if _endian(little)
            let rotated = shift == 0 ? inOrder : inOrder >> shift | inOrder << (32 - shift)
        #else
            let rotated = shift == 0 ? inOrder : inOrder << shift | inOrder >> (32 - shift)
        #endif
        let word = UInt64(rotated) << 32 | UInt64(rotated)
        let count = buffer.count
        var offset = 0
        while offset + 32 <= count {
            let pointer = base + offset
            pointer.storeBytes(of: pointer.loadUnaligned(as: UInt64.self) ^ word, as: UInt64.self)
            (pointer + 8).storeBytes(of: (pointer + 8).loadUnaligned(as: UInt64.self) ^ word, as: UInt64.self)
            (pointer + 16).storeBytes(of: (pointer + 16).loadUnaligned(as: UInt64.self) ^ word, as: UInt64.self)
            (pointer + 24).storeBytes(of: (pointer + 24).loadUnaligned(as: UInt64.self) ^ word, as: UInt64.self)
            offset += 32
        }
        while offset + 8 <= count {
            let pointer = base + offset
            pointer.storeBytes(of: pointer.loadUnaligned(as: UInt64.self) ^ word, as: UInt64.self)
            offset += 8
        }
        // The last bytes: `offset` is a multiple of eight, so they line up with `word`'s first.
        withUnsafeBytes(of: word) { key in
            for index in 0..<(count - offset) { buffer[offset + index] ^= key[index] }
        }
    }

    /// Masks `bytes[range]` in place with `key`.
    @inlinable
    public static func apply(_ key: (UInt8, UInt8, UInt8, UInt8), to bytes: inout [UInt8], range: Range<Int>) {
        bytes.withUnsafeMutableBytes { raw in
            apply(key, to: UnsafeMutableRawBufferPointer(rebasing: raw[range]))
        }
    }
}
