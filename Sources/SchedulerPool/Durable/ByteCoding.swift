#if !hasFeature(Embedded)
    /// Appends little-endian fields to a byte array: the encoding of journal records and snapshots.
    struct ByteWriter {
        var bytes: [UInt8] = []

        mutating func u8(_ value: UInt8) { bytes.append(value) }

        mutating func u32(_ value: UInt32) { littleEndian(value) }

        mutating func u64(_ value: UInt64) { littleEndian(value) }

        private mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
            for shift in stride(from: 0, to: T.bitWidth, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            }
        }

        mutating func string(_ value: String) {
            u32(UInt32(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }

        mutating func address(_ ip: IPAddress) {
            u8(ip.family == .ipv4 ? 4 : 6)
            u64(ip.high)
            u64(ip.low)
        }

        mutating func resourceType(_ type: ResourceType) {
            switch type {
            case .vm(let label):
                u8(1)
                string(label)
            case .container(let label):
                u8(2)
                string(label)
            case .custom(let label):
                u8(3)
                string(label)
            }
        }

        /// Overwrites four bytes at `offset` (a length or checksum filled in after the payload).
        mutating func patchU32(_ value: UInt32, at offset: Int) {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
    }

    /// Reads what `ByteWriter` wrote; every read returns `nil` past the end or on a malformed
    /// field, so that a damaged record is refused rather than trusted.
    struct ByteReader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        var isAtEnd: Bool { position == bytes.endIndex }

        mutating func u8() -> UInt8? {
            guard position < bytes.endIndex else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func u32() -> UInt32? { littleEndian() }

        mutating func u64() -> UInt64? { littleEndian() }

        /// The next `T.bitWidth / 8` bytes as a little-endian integer.
        private mutating func littleEndian<T: FixedWidthInteger>() -> T? {
            let count = T.bitWidth / 8
            guard bytes.endIndex - position >= count else { return nil }
            var value: T = 0
            for index in 0..<count { value |= T(bytes[position + index]) << (8 * index) }
            position += count
            return value
        }

        mutating func string() -> String? {
            guard let count = u32(), bytes.endIndex - position >= Int(count) else { return nil }
            defer { position += Int(count) }
            return String(decoding: bytes[position..<position + Int(count)], as: UTF8.self)
        }

        mutating func address() -> IPAddress? {
            guard let family = u8(), let high = u64(), let low = u64() else { return nil }
            switch family {
            case 4 where high == 0 && low <= 0xFFFF_FFFF: return IPAddress(ipv4: UInt32(low))
            case 6: return IPAddress(ipv6: UInt128(high) << 64 | UInt128(low))
            default: return nil
            }
        }

        mutating func network() -> IPNetwork? {
            guard let address = address(), let prefix = u8() else { return nil }
            return IPNetwork(address: address, prefixLength: Int(prefix))
        }

        mutating func resourceType() -> ResourceType? {
            guard let kind = u8(), let label = string() else { return nil }
            switch kind {
            case 1: return .vm(label)
            case 2: return .container(label)
            case 3: return .custom(label)
            default: return nil
            }
        }
    }
#endif
