import SchedulerEngine

/// What the receiver found next in the bytes from the peer.
enum WebSocketEvent {
    /// A whole data message (``WebSocketReceiver/Mode/messages``).
    case message(WebSocketMessage)
    /// Part of a data message as it arrived (``WebSocketReceiver/Mode/chunks``).
    case chunk(WebSocketChunk)
    /// A ping, to be answered with a pong carrying `payload`.
    case ping([UInt8])
    /// A pong.
    case pong
    /// The peer's close frame, checked: its code (nil when it had none) and reason.
    case close(WebSocketCloseCode?, String)
}

/// The receiving half of the frame codec, shared by the async ``WebSocket`` and the loop-thread
/// ``WebSocketLoopWriter`` form: bytes go in with ``append(_:)``, events come out of
/// ``next(_:)`` (nil: more bytes needed). Every rule of RFC 6455 §5 the peer can break is
/// checked here and thrown as a ``WebSocketError`` carrying the close code to answer with.
struct WebSocketReceiver {
    /// How data frames are handed out.
    enum Mode {
        /// Whole messages, each at most ``WebSocketConfiguration/maxMessageSize``.
        case messages
        /// Pieces as they arrive (never a whole frame held), up to ``WebSocketConfiguration/maxStreamedMessageSize``.
        case chunks
        /// Data dropped as it arrives (a socket closing waits for the peer's close frame).
        case discard
    }

    let role: WebSocket.Role
    let configuration: WebSocketConfiguration
    let deflater: MessageDeflater?

    private var inbox: [UInt8]
    private var start = 0
    private var messageOpcode: WebSocketOpcode?
    private var messageCompressed = false
    private var messageParts: [[UInt8]] = []
    private var messageSize = 0
    private var validator = UTF8Validator()
    // Streaming: the data frame whose payload is handed out as it arrives.
    private var streamFrame: WebSocketFrameHeader?
    private var streamDone = 0
    private var streamedAny = false
    // Streaming a compressed message: input zlib has not taken yet, and whether it ends the message.
    private var inflateInput: [UInt8] = []
    private var inflateOffset = 0
    private var inflateFull = false
    private var inflateEndsMessage = false
    private var inflatedSize = 0

    init(role: WebSocket.Role, configuration: WebSocketConfiguration, deflater: MessageDeflater?, buffered: [UInt8]) {
        self.role = role
        self.configuration = configuration
        self.deflater = deflater
        inbox = buffered
    }

    /// Adds received bytes.
    mutating func append(_ buffer: borrowing TCPBuffer) {
        buffer.withUnsafeBytes { append(bytes: $0) }
    }

    /// Adds received bytes already in memory.
    mutating func append(bytes: UnsafeRawBufferPointer) {
        appendCompacting(bytes, to: &inbox, start: &start)
    }

    /// Bytes received and not yet handed out (a partial frame).
    var bufferedCount: Int { inbox.count - start }

    /// The next event in what was received, or nil when more bytes are needed.
    mutating func next(_ mode: Mode) throws(WebSocketError) -> WebSocketEvent? {
        while true {
            if inflateFull || inflateOffset < inflateInput.count || inflateEndsMessage {
                if let event = try inflateStep() { return event }
                continue
            }
            if let frame = streamFrame {
                let available = min(inbox.count - start, frame.length - streamDone)
                if available == 0 && frame.length > 0 { return nil }
                let range = start..<(start + available)
                if let key = frame.maskKey, mode != .discard {
                    inbox.withUnsafeMutableBytes { raw in
                        WebSocketMasking.apply(
                            key, to: UnsafeMutableRawBufferPointer(rebasing: raw[range]), phase: streamDone)
                    }
                }
                start += available
                streamDone += available
                let frameEnds = streamDone == frame.length
                if frameEnds { streamFrame = nil }
                if let event = try streamed(range, messageEnds: frameEnds && frame.fin, mode) { return event }
                continue
            }
            let parsed = try inbox.withUnsafeBytes { raw in
                Result { () throws(WebSocketError) in
                    try WebSocketFrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[start...]))
                }
            }.get()
            guard let header = parsed else { return nil }
            try check(header, mode)
            let opcode = header.opcode!
            if mode != .messages && !opcode.isControl {
                // Streamed: the payload is handed out as it comes, never gathered.
                if opcode != .continuation { beginMessage(opcode, compressed: header.rsv1) }
                messageSize += header.length
                start += header.headerLength
                streamFrame = header
                streamDone = 0
                continue
            }
            guard inbox.count - start >= header.headerLength + header.length else { return nil }
            let payloadRange = (start + header.headerLength)..<(start + header.headerLength + header.length)
            if let key = header.maskKey { WebSocketMasking.apply(key, to: &inbox, range: payloadRange) }
            start = payloadRange.upperBound
            if let event = try handle(header, payloadRange) { return event }
        }
    }

    /// The rules a frame head must meet before its payload is read.
    private func check(_ header: WebSocketFrameHeader, _ mode: Mode) throws(WebSocketError) {
        switch role {
        case .server where header.maskKey == nil: throw .protocolError("an unmasked frame from a client")
        case .client where header.maskKey != nil: throw .protocolError("a masked frame from a server")
        default: break
        }
        guard let opcode = header.opcode else { throw .protocolError("unknown opcode \(header.opcodeBits)") }
        if header.rsv2 || header.rsv3 { throw .protocolError("reserved bits RSV2/RSV3 set without an extension") }
        if header.rsv1 && (deflater == nil || opcode == .continuation || opcode.isControl) {
            throw .protocolError("reserved bit RSV1 set without permessage-deflate on a first data frame")
        }
        if opcode.isControl {
            if !header.fin { throw .protocolError("a fragmented control frame") }
            if header.length > 125 { throw .protocolError("a control frame of \(header.length) bytes (at most 125)") }
            return
        }
        if opcode == .continuation && messageOpcode == nil {
            throw .protocolError("a continuation frame without a message in progress")
        }
        if opcode != .continuation && messageOpcode != nil {
            throw .protocolError("a new data frame inside a fragmented message")
        }
        let limit = mode == .messages ? configuration.maxMessageSize : configuration.maxStreamedMessageSize
        if mode != .discard && (opcode == .continuation ? messageSize : 0) + header.length > limit {
            throw WebSocketError(.messageTooBig, "a message over the limit of \(limit) bytes")
        }
    }

    private mutating func beginMessage(_ opcode: WebSocketOpcode, compressed: Bool) {
        messageOpcode = opcode
        messageCompressed = compressed
        validator = UTF8Validator()
        messageSize = 0
        streamedAny = false
        inflatedSize = 0
    }

    private var kind: WebSocketMessageKind { messageOpcode == .text ? .text : .binary }

    /// A streamed piece of payload at `range` of the inbox (already unmasked).
    private mutating func streamed(_ range: Range<Int>, messageEnds: Bool, _ mode: Mode) throws(WebSocketError)
        -> WebSocketEvent?
    {
        if mode == .discard {
            if messageEnds { resetMessage() }
            return nil
        }
        if messageCompressed {
            // zlib takes the piece in bounded steps (see `inflateStep`), the tail after the last.
            inflateInput.removeAll(keepingCapacity: true)
            inflateInput.append(contentsOf: inbox[range])
            if messageEnds { inflateInput.append(contentsOf: MessageDeflater.messageTail) }
            inflateOffset = 0
            inflateEndsMessage = messageEnds
            return nil
        }
        guard !range.isEmpty || messageEnds else { return nil }
        if messageOpcode == .text {
            let valid = inbox.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[range])) }
            if !valid { throw WebSocketError(.invalidPayload, "a text message that is not UTF-8") }
            if messageEnds && !validator.isComplete {
                throw WebSocketError(.invalidPayload, "a text message ends inside a character")
            }
        }
        return chunk(Array(inbox[range]), final: messageEnds)
    }

    private mutating func chunk(_ bytes: [UInt8], final: Bool) -> WebSocketEvent {
        let event = WebSocketEvent.chunk(
            WebSocketChunk(kind: kind, bytes: bytes, isFirst: !streamedAny, isFinal: final))
        streamedAny = true
        if final { resetMessage() }
        return event
    }

    /// One bounded inflate step of a streamed compressed message; an event when it made output
    /// (or ended the message).
    private mutating func inflateStep() throws(WebSocketError) -> WebSocketEvent? {
        guard let deflater else { throw WebSocketError(.internalError, "no inflater") }
        let step = try inflateInput.withUnsafeBytes { raw in
            Result { () throws(WebSocketError) in
                try deflater.inflateStep(UnsafeRawBufferPointer(rebasing: raw[inflateOffset...]))
            }
        }.get()
        inflateOffset += step.consumed
        inflateFull = step.full
        let drained = !inflateFull && inflateOffset == inflateInput.count
        if step.consumed == 0 && step.output.isEmpty && !step.full && !drained {
            throw WebSocketError(.invalidPayload, "a compressed message does not inflate")
        }
        inflatedSize += step.output.count
        if inflatedSize > configuration.maxStreamedMessageSize {
            throw WebSocketError(
                .messageTooBig,
                "a compressed message inflates past the limit of \(configuration.maxStreamedMessageSize) bytes")
        }
        if messageOpcode == .text && !validator.validate(step.output) {
            throw WebSocketError(.invalidPayload, "a text message that is not UTF-8")
        }
        let ends = drained && inflateEndsMessage
        if ends {
            inflateEndsMessage = false
            if messageOpcode == .text && !validator.isComplete {
                throw WebSocketError(.invalidPayload, "a text message ends inside a character")
            }
        }
        guard !step.output.isEmpty || ends else { return nil }
        return chunk(step.output, final: ends)
    }

    private mutating func handle(_ header: WebSocketFrameHeader, _ range: Range<Int>) throws(WebSocketError)
        -> WebSocketEvent?
    {
        switch header.opcode! {
        case .ping:
            return .ping(Array(inbox[range]))
        case .pong:
            return .pong
        case .close:
            return try close(range)
        case .text, .binary, .continuation:
            if header.opcode! != .continuation {
                beginMessage(header.opcode!, compressed: header.rsv1)
            }
            messageSize += range.count
            let isText = messageOpcode == .text
            if isText && !messageCompressed {
                let valid = inbox.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[range])) }
                if !valid { throw WebSocketError(.invalidPayload, "a text message that is not UTF-8") }
            }
            if header.fin && messageParts.isEmpty && !messageCompressed {
                // The common case: one frame, one message, one copy.
                let message = isText ? WebSocketMessage.text(try text(inbox[range])) : .binary(Array(inbox[range]))
                resetMessage()
                return .message(message)
            }
            messageParts.append(Array(inbox[range]))
            guard header.fin else { return nil }
            var bytes: [UInt8]
            if messageCompressed, let deflater {
                bytes = try deflater.decompress(messageParts, limit: configuration.maxMessageSize)
                if isText && !validator.validate(bytes) {
                    throw WebSocketError(.invalidPayload, "a text message that is not UTF-8")
                }
            } else {
                bytes = messageParts.count == 1 ? messageParts[0] : Array(messageParts.joined())
            }
            let message = isText ? WebSocketMessage.text(try text(bytes[...])) : .binary(bytes)
            resetMessage()
            return .message(message)
        }
    }

    private func text(_ bytes: ArraySlice<UInt8>) throws(WebSocketError) -> String {
        guard validator.isComplete else {
            throw WebSocketError(.invalidPayload, "a text message ends inside a character")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func resetMessage() {
        messageOpcode = nil
        messageCompressed = false
        messageParts.removeAll()
        messageSize = 0
    }

    /// The peer's close frame, checked.
    private func close(_ range: Range<Int>) throws(WebSocketError) -> WebSocketEvent {
        if range.count == 1 { throw .protocolError("a close frame with a one-byte payload") }
        guard range.count >= 2 else { return .close(nil, "") }
        let value = WebSocketCloseCode(
            rawValue: UInt16(inbox[range.lowerBound]) << 8 | UInt16(inbox[range.lowerBound + 1]))
        guard value.isSendable else { throw .protocolError("close code \(value) may not be sent") }
        var reasonValidator = UTF8Validator()
        let reasonRange = (range.lowerBound + 2)..<range.upperBound
        let valid = inbox.withUnsafeBytes {
            reasonValidator.validate(UnsafeRawBufferPointer(rebasing: $0[reasonRange]))
        }
        guard valid && reasonValidator.isComplete else {
            throw WebSocketError(.invalidPayload, "a close reason that is not UTF-8")
        }
        return .close(value, String(decoding: inbox[reasonRange], as: UTF8.self))
    }
}

/// Part of a data message as it arrived, when messages are streamed (``WebSocket/chunks``, or a
/// ``WebSocketLoopHandler`` whose ``WebSocketLoopHandler/streamsMessages`` is true).
public struct WebSocketChunk: Sendable, Equatable {
    /// The kind of the message it belongs to.
    public let kind: WebSocketMessageKind
    /// The next bytes of the message (decompressed; text may end inside a character, the next chunk continues it).
    public let bytes: [UInt8]
    /// Whether it is the message's first chunk.
    public let isFirst: Bool
    /// Whether it is the message's last chunk (the whole message was UTF-8 when it is text).
    public let isFinal: Bool
}
