/// The sending half of the frame codec, shared by the async ``WebSocket`` and
/// ``WebSocketLoopWriter``: frames with their head, masked with a fresh key on the client side.
/// Used under its owner's write lock (the mask generator advances with each frame).
struct WebSocketFrameEncoder {
    let role: WebSocket.Role
    private var maskGenerator = MaskGenerator()

    init(role: WebSocket.Role) { self.role = role }

    /// Appends one frame carrying `payload` to `out`.
    mutating func append(
        _ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, fin: Bool, rsv1: Bool, to out: inout [UInt8]
    ) {
        let key = role == .client ? maskGenerator.next() : nil
        let header = WebSocketFrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, length: payload.count, maskKey: key)
        out.reserveCapacity(out.count + header.headerLength + payload.count)
        header.encode(into: &out)
        let start = out.count
        out.append(contentsOf: payload)
        if let key { WebSocketMasking.apply(key, to: &out, range: start..<out.count) }
    }

    /// One frame carrying `payload`.
    mutating func frame(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, fin: Bool, rsv1: Bool) -> [UInt8]
    {
        var out: [UInt8] = []
        append(opcode, payload, fin: fin, rsv1: rsv1, to: &out)
        return out
    }

    /// The close frame's payload: the code then the reason (none without a code).
    static func closePayload(_ code: WebSocketCloseCode?, _ reason: String) -> [UInt8] {
        guard let code else { return [] }
        return [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + Array(reason.utf8)
    }
}
