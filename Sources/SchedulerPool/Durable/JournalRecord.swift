#if !hasFeature(Embedded)
    /// One change of a durable pool's state, as the journal stores it.
    ///
    /// On disk a record is `u32 payload length, u32 CRC-32C of the payload, payload`, all
    /// little-endian; the payload starts with a kind byte. Records carry everything needed to
    /// replay them (the address and generation of an allocation, the time a released address
    /// becomes reusable), so every process that replays the journal reaches the same state.
    enum JournalRecord: Equatable {
        /// A range was added.
        case addRange(IPNetwork)
        /// `ip` was allocated to an owner as allocation number `generation`.
        case allocate(
            IPAddress, subinstance: String, resource: String, type: ResourceType, generation: UInt64)
        /// `ip` was released; it may be handed out again from `reusableAt` (CLOCK_REALTIME nanoseconds).
        case release(IPAddress, reusableAt: Int64)

        /// Bytes before the payload: its length and its checksum.
        static let frameBytes = 8
        /// Payloads longer than this are damage, not records (owner names are short).
        static let maximumPayload = 1 << 20

        /// The framed record, ready to append.
        var encoded: [UInt8] {
            var writer = ByteWriter()
            writer.u32(0)
            writer.u32(0)
            switch self {
            case .addRange(let network):
                writer.u8(1)
                writer.address(network.address)
                writer.u8(UInt8(network.prefixLength))
            case .allocate(let ip, let subinstance, let resource, let type, let generation):
                writer.u8(2)
                writer.address(ip)
                writer.u64(generation)
                writer.string(subinstance)
                writer.string(resource)
                writer.resourceType(type)
            case .release(let ip, let reusableAt):
                writer.u8(3)
                writer.address(ip)
                writer.u64(UInt64(bitPattern: reusableAt))
            }
            let payloadCount = writer.bytes.count - Self.frameBytes
            writer.patchU32(UInt32(payloadCount), at: 0)
            writer.patchU32(CRC32C.checksum(writer.bytes[Self.frameBytes...]), at: 4)
            return writer.bytes
        }

        /// What reading a record from a position of the journal found.
        enum Decoded {
            /// A whole, intact record of `length` bytes (frame included).
            case record(JournalRecord, length: Int)
            /// The bytes end before the record does: a write that never finished.
            case torn
            /// The record is complete but its checksum or its fields are wrong.
            case corrupt(String)
        }

        /// Decodes the record that starts at `bytes.startIndex`.
        static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
            var frame = ByteReader(bytes)
            guard let length = frame.u32(), let checksum = frame.u32() else { return .torn }
            guard length > 0, Int(length) <= maximumPayload else {
                return .corrupt("record length " + AddressText.decimal(UInt64(length)) + " is impossible")
            }
            let start = bytes.startIndex + frameBytes
            guard bytes.endIndex - start >= Int(length) else { return .torn }
            let payload = bytes[start..<start + Int(length)]
            guard CRC32C.checksum(payload) == checksum else { return .corrupt("checksum mismatch") }
            var reader = ByteReader(payload)
            let record: JournalRecord?
            switch reader.u8() {
            case 1:
                record = reader.network().map { .addRange($0) }
            case 2:
                if let ip = reader.address(), let generation = reader.u64(),
                    let subinstance = reader.string(),
                    let resource = reader.string(), let type = reader.resourceType()
                {
                    record = .allocate(
                        ip, subinstance: subinstance, resource: resource, type: type, generation: generation)
                } else {
                    record = nil
                }
            case 3:
                if let ip = reader.address(), let time = reader.u64() {
                    record = .release(ip, reusableAt: Int64(bitPattern: time))
                } else {
                    record = nil
                }
            default:
                record = nil
            }
            guard let record, reader.isAtEnd else {
                return .corrupt("checksum matches but the fields do not parse")
            }
            return .record(record, length: frameBytes + Int(length))
        }
    }
#endif
