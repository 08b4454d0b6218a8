#if !hasFeature(Embedded)
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every journal record
    /// and snapshot: it catches torn writes and flipped bits that a length field alone would miss.
    enum CRC32C {
        /// The byte-at-a-time table, built once.
        static let table: [UInt32] = (0..<256).map { index in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            return crc
        }

        /// The checksum of `bytes` (`CRC32C("123456789") == 0xE3069283`).
        static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            table.withUnsafeBufferPointer { table in
                for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
            return crc ^ 0xFFFF_FFFF
        }

        /// The checksum of a byte slice.
        static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            bytes.withUnsafeBytes { checksum($0) }
        }
    }
#endif
