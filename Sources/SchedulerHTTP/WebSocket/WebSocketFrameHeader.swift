/// The head of one WebSocket frame (RFC 6455 §5.2): flags, opcode, mask key and payload length.
public struct WebSocketFrameHeader: Sendable, Equatable {
    /// The last frame of its message.
    public var fin: Bool
    /// RSV1: set on the first frame of a compressed message under permessage-deflate.
    public var rsv1: Bool
    /// RSV2 and RSV3: no extension here uses them.
    public var rsv2: Bool
    /// RSV3.
    public var rsv3: Bool
    /// The opcode as sent (unknown ones included, so that they can be refused with 1002).
    public var opcodeBits: UInt8
    /// The masking key, present on every client frame.
    public var maskKey: (UInt8, UInt8, UInt8, UInt8)?
    /// The payload length.
    public var length: Int
    /// Bytes of the head on the wire (2 to 14).
    public var headerLength: Int

    /// The opcode, nil when unknown.
    public var opcode: WebSocketOpcode? { WebSocketOpcode(rawValue: opcodeBits) }

    /// A head to encode.
    public init(
        fin: Bool, rsv1: Bool = false, opcode: WebSocketOpcode, length: Int,
        maskKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) {
        self.fin = fin
        self.rsv1 = rsv1
        rsv2 = false
        rsv3 = false
        opcodeBits = opcode.rawValue
        self.length = length
        self.maskKey = maskKey
        headerLength = 2 + (length < 126 ? 0 : length <= 0xFFFF ? 2 : 8) + (maskKey == nil ? 0 : 4)
    }

    /// Every field equal, the mask key included (tuples are not `Equatable`).
    public static func == (lhs: WebSocketFrameHeader, rhs: WebSocketFrameHeader) -> Bool {
        lhs.fin == rhs.fin && lhs.rsv1 == rhs.rsv1 && lhs.rsv2 == rhs.rsv2 && lhs.rsv3 == rhs.rsv3
            && lhs.opcodeBits == rhs.opcodeBits && lhs.length == rhs.length && lhs.headerLength == rhs.headerLength
            && lhs.maskKey.map { [$0.0, $0.1, $0.2, $0.3] } == rhs.maskKey.map { [$0.0, $0.1, $0.2, $0.3] }
    }

    /// Reads a head from the start of `bytes`; nil when more bytes are needed. Throws 1002 for a
    /// length with its top bit set (the one framing error visible before any rule of the
    /// connection applies).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WebSocketError) -> WebSocketFrameHeader? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[0]
        let second = bytes[1]
        let masked = second & 0x80 != 0
        var length = Int(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            var wide: UInt64 = 0
            for index in 2..<10 { wide = wide << 8 | UInt64(bytes[index]) }
            guard wide >> 63 == 0 else { throw .protocolError("a frame length with its most significant bit set") }
            length = Int(wide)
            offset = 10
        }
        var key: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            guard bytes.count >= offset + 4 else { return nil }
            key = (bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3])
            offset += 4
        }
        var header = WebSocketFrameHeader(fin: first & 0x80 != 0, opcode: .continuation, length: length, maskKey: key)
        header.rsv1 = first & 0x40 != 0
        header.rsv2 = first & 0x20 != 0
        header.rsv3 = first & 0x10 != 0
        header.opcodeBits = first & 0x0F
        header.headerLength = offset
        return header
    }

    /// Appends the head's wire form to `out`: built in a 14-byte stack buffer, then appended at
    /// once (one capacity check instead of one per byte).
    public func encode(into out: inout [UInt8]) {
        var wire: (UInt64, UInt64) = (0, 0)
        let count = withUnsafeMutableBytes(of: &wire) { raw -> Int in
            var first = opcodeBits
            if fin { first |= 0x80 }
            if rsv1 { first |= 0x40 }
            if rsv2 { first |= 0x20 }
            if rsv3 { first |= 0x10 }
            raw[0] = first
            let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
            var used = 2
            if length < 126 {
                raw[1] = maskBit | UInt8(length)
            } else if length <= 0xFFFF {
                raw[1] = maskBit | 126
                raw[2] = UInt8(length >> 8)
                raw[3] = UInt8(length & 0xFF)
                used = 4
            } else {
                raw[1] = maskBit | 127
                for index in 0..<8 { raw[2 + index] = UInt8((length >> (56 - 8 * index)) & 0xFF) }
                used = 10
            }
            if let key = maskKey {
                raw[used] = key.0
                raw[used + 1] = key.1
                raw[used + 2] = key.2
                raw[used + 3] = key.3
                used += 4
            }
            return used
        }
        withUnsafeBytes(of: &wire) { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    /// A whole frame: this head's fields with `payload`, masked when `maskKey` is given.
    public static func frame(
        _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false,
        maskKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 14)
        let header = WebSocketFrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, length: payload.count, maskKey: maskKey)
        header.encode(into: &out)
        let start = out.count
        out.append(contentsOf: payload)
        if let maskKey { WebSocketMasking.apply(maskKey, to: &out, range: start..<out.count) }
        return out
    }
}
