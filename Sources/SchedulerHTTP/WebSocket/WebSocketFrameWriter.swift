/// The two kinds of data message.
public enum WebSocketMessageKind: Sendable {
    /// UTF-8 text.
    case text
    /// Bytes.
    case binary
}

/// Writes one streamed message frame by frame; see ``WebSocket/send(streaming:_:)``.
public final class WebSocketFrameWriter: @unchecked Sendable {
    // @unchecked: used by the one task running the producer, under the socket's write lock.
    private let socket: WebSocket
    private var opcode: WebSocketOpcode
    private var validator: UTF8Validator?
    /// Payload bytes written so far.
    public private(set) var bytesWritten = 0

    init(socket: WebSocket, opcode: WebSocketOpcode) {
        self.socket = socket
        self.opcode = opcode
        validator = opcode == .text ? UTF8Validator() : nil
    }

    /// Sends `bytes` as the next frame of the message (an empty write sends nothing).
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if validator != nil, !validator!.validate(bytes) {
            throw WebSocketError(.invalidPayload, "a streamed text message that is not UTF-8")
        }
        try await socket.sendFrameLocked(opcode, bytes, fin: false)
        opcode = .continuation
        bytesWritten += bytes.count
    }

    /// Sends the UTF-8 bytes of `text` as the next frame.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// The final frame (empty when something was written, the whole empty message otherwise).
    func finish() async throws {
        if let validator, !validator.isComplete {
            throw WebSocketError(.invalidPayload, "a streamed text message that ends inside a character")
        }
        try await socket.sendFrameLocked(opcode, [], fin: true)
    }
}
