public import SchedulerEngine
@_spi(SchedulerInternals) public import SchedulerPool
import Synchronization

/// One open WebSocket (RFC 6455), server or client side: messages in as an async sequence
/// (``messages``), out with ``send(_:)``; pings answered, the close handshake completed.
///
/// ```swift
/// for try await message in socket.messages { try await socket.send(message) }
/// ```
///
/// Reading happens as ``messages`` is iterated: a reader that stops stops reading the socket,
/// so the peer's writes wait (TCP's backpressure). Control frames (pings, the peer's close) are
/// handled while iterating. Sending may happen from any task; frames leave in call order.
/// A protocol violation by the peer makes the iteration throw ``WebSocketError`` after the
/// close frame with its code (1002, 1007, 1009) was sent and the connection closed.
public final class WebSocket: @unchecked Sendable {
    // @unchecked: the reading state is touched by the one task iterating `messages`; the
    // writing state under `writeLock`; what both see under `shared`.
    /// Which end of the connection this is (clients mask their frames, servers do not).
    public enum Role: Sendable {
        /// Accepted by a server route.
        case server
        /// Opened by a client.
        case client
    }

    /// This end's role.
    public let role: Role
    /// The subprotocol both sides agreed on, if any.
    public let subprotocol: String?
    /// Whether permessage-deflate was agreed.
    public var isCompressed: Bool { deflater != nil }
    /// The address of this end.
    public var localAddress: SocketAddress { connection.localAddress }
    /// The address of the peer.
    public var remoteAddress: SocketAddress { connection.peerAddress }

    let connection: TCPConnection
    let configuration: WebSocketConfiguration
    private let deflater: MessageDeflater?
    private let writeLock = AsyncSerialLock()
    private var encoder: WebSocketFrameEncoder

    private struct Shared {
        var closeSent = false
        var closeReceived = false
        var closeCode: WebSocketCloseCode?
        var closeReason = ""
        var lastFrameAt = ContinuousClock.now
    }
    private let shared = FutexMutex(Shared())

    // Reading state (the iterating task only).
    private var receiver: WebSocketReceiver
    private var atEOF = false
    private var failed: WebSocketError?
    private var keepAlive: Task<Void, Never>?

    init(
        connection: TCPConnection, role: Role, configuration: WebSocketConfiguration, subprotocol: String?,
        deflate: (DeflateAgreement, WebSocketCompression)?, buffered: [UInt8]
    ) throws(WebSocketError) {
        self.connection = connection
        self.role = role
        self.configuration = configuration
        self.subprotocol = subprotocol
        deflater = try deflate.map { agreement, settings throws(WebSocketError) in
            try MessageDeflater(agreement, settings: settings)
        }
        receiver = WebSocketReceiver(
            role: role, configuration: configuration, deflater: deflater, buffered: buffered)
        encoder = WebSocketFrameEncoder(role: role)
        if let interval = configuration.pingInterval { startKeepAlive(interval) }
    }

    deinit {
        keepAlive?.cancel()
    }

    /// The close code the peer sent (``WebSocketCloseCode/noStatusReceived`` for a close frame
    /// without one), or nil while no close frame came.
    public var closeCode: WebSocketCloseCode? { shared.withLock { $0.closeCode } }
    /// The reason the peer gave with its close code.
    public var closeReason: String { shared.withLock { $0.closeReason } }

    /// The messages from the peer, in order; ends after the peer's close frame.
    public var messages: WebSocketInbound { WebSocketInbound(socket: self) }

    /// The messages from the peer as chunks in the order they arrive, each message's last one
    /// marked ``WebSocketChunk/isFinal``: a huge message is never held whole (the limit is
    /// ``WebSocketConfiguration/maxStreamedMessageSize``). Iterate this or ``messages``, not both.
    public var chunks: WebSocketChunks { WebSocketChunks(socket: self) }

    // MARK: Sending

    /// Sends a data message, in frames of at most `maxFrameSize` bytes, compressed when agreed.
    public func send(_ message: WebSocketMessage) async throws {
        switch message {
        case .text(let text): try await send(text: text)
        case .binary(let bytes): try await send(binary: bytes)
        }
    }

    /// Sends a text message.
    public func send(text: String) async throws {
        try await sendData(.text, Array(text.utf8))
    }

    /// Sends a binary message.
    public func send(binary bytes: [UInt8]) async throws {
        try await sendData(.binary, bytes)
    }

    /// Sends one message as `produce` writes it, each write one frame, so that a huge message is
    /// never held whole; the message ends when `produce` returns. Not compressed. Text is checked
    /// to be UTF-8 as it is written. Other sends wait until the message is complete (pongs
    /// included), so `produce` must not send on this socket itself. When `produce` throws after
    /// its first write, the half-sent message cannot be finished and the socket closes.
    public func send(streaming kind: WebSocketMessageKind, _ produce: (WebSocketFrameWriter) async throws -> Void)
        async throws
    {
        await writeLock.lock()
        defer { writeLock.unlock() }
        if shared.withLock({ $0.closeSent }) { throw WebSocketError(.normalClosure, "the WebSocket is closing") }
        let writer = WebSocketFrameWriter(socket: self, opcode: kind == .text ? .text : .binary)
        do {
            try await produce(writer)
            try await writer.finish()
        } catch {
            // A message begun on the wire cannot be taken back: the socket closes (1011, or 1007
            // for text that is not UTF-8) rather than send anything after half a message.
            if writer.bytesWritten > 0 {
                let code =
                    (error as? WebSocketError)?.code == .invalidPayload
                    ? WebSocketCloseCode.invalidPayload : .internalError
                shared.withLock { $0.closeSent = true }
                let payload = WebSocketFrameEncoder.closePayload(code, "")
                try? await connection.send(payload.withUnsafeBytes { encode(.close, $0, fin: true, rsv1: false) })
            }
            throw error
        }
    }

    /// One frame of a streamed message (the write lock is held by ``send(streaming:_:)``).
    func sendFrameLocked(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool) async throws {
        try await connection.send(payload.withUnsafeBytes { encode(opcode, $0, fin: fin, rsv1: false) })
    }

    /// Sends a ping with up to 125 bytes of `payload`; the pong comes back while ``messages`` is read.
    public func ping(_ payload: [UInt8] = []) async throws {
        guard payload.count <= 125 else {
            throw WebSocketError.protocolError("a ping payload of \(payload.count) bytes (at most 125)")
        }
        try await sendControl(.ping, payload)
    }

    /// Starts the close handshake with `code` and `reason` (at most 123 bytes of UTF-8); the
    /// connection closes once the peer answers (or ``WebSocketConfiguration/closeTimeout`` passed),
    /// which iterating ``messages`` to its end waits for.
    public func close(_ code: WebSocketCloseCode = .normalClosure, reason: String = "") async throws {
        guard code.isSendable else { throw WebSocketError.protocolError("close code \(code) may not be sent") }
        guard reason.utf8.count <= 123 else { throw WebSocketError.protocolError("a close reason over 123 bytes") }
        try await sendClose(code, reason)
    }

    private func sendData(_ opcode: WebSocketOpcode, _ payload: [UInt8]) async throws {
        await writeLock.lock()
        defer { writeLock.unlock() }
        if shared.withLock({ $0.closeSent }) { throw WebSocketError(.normalClosure, "the WebSocket is closing") }
        var body = payload
        var rsv1 = false
        if let deflater, payload.count >= deflater.minimumSize {
            let result = payload.withUnsafeBytes { raw in
                Result { () throws(WebSocketError) in try deflater.compress(raw) }
            }
            body = try result.get()
            rsv1 = true
        }
        var offset = 0
        var first = true
        repeat {
            let count = min(configuration.maxFrameSize, body.count - offset)
            let frame = body.withUnsafeBytes { raw in
                encode(
                    first ? opcode : .continuation, UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]),
                    fin: offset + count == body.count, rsv1: rsv1 && first)
            }
            try await connection.send(frame)
            offset += count
            first = false
        } while offset < body.count
    }

    private func sendControl(_ opcode: WebSocketOpcode, _ payload: [UInt8]) async throws {
        await writeLock.lock()
        defer { writeLock.unlock() }
        if shared.withLock({ $0.closeSent }) { throw WebSocketError(.normalClosure, "the WebSocket is closing") }
        try await connection.send(payload.withUnsafeBytes { encode(opcode, $0, fin: true, rsv1: false) })
    }

    /// Sends a close frame unless one was sent; true when this call sent it.
    @discardableResult
    private func sendClose(_ code: WebSocketCloseCode?, _ reason: String) async throws -> Bool {
        await writeLock.lock()
        defer { writeLock.unlock() }
        let already = shared.withLock { state in
            defer { state.closeSent = true }
            return state.closeSent
        }
        if already { return false }
        let payload = WebSocketFrameEncoder.closePayload(code, reason)
        try await connection.send(payload.withUnsafeBytes { encode(.close, $0, fin: true, rsv1: false) })
        return true
    }

    private func encode(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, fin: Bool, rsv1: Bool) -> [UInt8]
    {
        encoder.frame(opcode, payload, fin: fin, rsv1: rsv1)
    }

    // MARK: Receiving

    /// The next data message; nil after the close handshake. Throws after failing the connection.
    func nextMessage() async throws(WebSocketError) -> WebSocketMessage? {
        guard case .message(let message) = try await nextData(.messages) else { return nil }
        return message
    }

    /// The next chunk of a data message; nil after the close handshake.
    func nextChunk() async throws(WebSocketError) -> WebSocketChunk? {
        guard case .chunk(let chunk) = try await nextData(.chunks) else { return nil }
        return chunk
    }

    private func nextData(_ mode: WebSocketReceiver.Mode) async throws(WebSocketError) -> WebSocketEvent? {
        if let failed { throw failed }
        do {
            return try await readData(mode)
        } catch {
            failed = error
            if error.code.isSendable {
                _ = try? await sendClose(error.code, Self.shortened(error.reason))
            }
            await connection.close()
            throw error
        }
    }

    /// `reason` cut at a character boundary to fit a close frame's 123 bytes.
    static func shortened(_ reason: String) -> String {
        var result = ""
        for character in reason {
            if result.utf8.count + character.utf8.count > 123 { break }
            result.append(character)
        }
        return result
    }

    /// The next message or chunk (control frames answered on the way); nil after the close.
    private func readData(_ mode: WebSocketReceiver.Mode) async throws(WebSocketError) -> WebSocketEvent? {
        while true {
            if shared.withLock({ $0.closeReceived }) { return nil }
            guard let event = try receiver.next(mode) else {
                guard try await receive() else { throw endOfStream() }
                continue
            }
            switch event {
            case .ping(let payload):
                do { try await sendControl(.pong, payload) } catch {}
            case .pong:
                break
            case .close(let code, let reason):
                await receiveClose(code, reason)
            case .message, .chunk:
                return event
            }
        }
    }

    private func endOfStream() -> WebSocketError {
        WebSocketError(.abnormalClosure, "the peer closed the connection without a close frame")
    }

    /// The peer's close frame (checked by the receiver): answered with the same code, then the
    /// connection closes (the server at once, the client once the server closed or the close
    /// timeout passed).
    private func receiveClose(_ code: WebSocketCloseCode?, _ reason: String) async {
        shared.withLock { state in
            state.closeReceived = true
            state.closeCode = code ?? .noStatusReceived
            state.closeReason = reason
        }
        _ = try? await sendClose(code, "")
        if role == .client { await awaitPeerClose() }
        await connection.close()
    }

    /// Reads and drops bytes until the peer closes its side or the close timeout passes.
    private func awaitPeerClose() async {
        let timer = Task { [connection, configuration] in
            try? await Task.sleep(for: configuration.closeTimeout)
            if !Task.isCancelled { connection.closeNow() }
        }
        while (try? await connection.recvBuffer()) != nil {}
        timer.cancel()
    }

    /// Receives one more chunk; false at end of stream.
    private func receive() async throws(WebSocketError) -> Bool {
        if atEOF { return false }
        let buffer: TCPBuffer?
        do { buffer = try await connection.recvBuffer() } catch {
            throw WebSocketError(.abnormalClosure, "receiving failed: \(error)")
        }
        guard let buffer else {
            atEOF = true
            return false
        }
        receiver.append(buffer)
        shared.withLock { $0.lastFrameAt = .now }
        return true
    }

    // MARK: Ending

    /// Ends the socket after its handler returned: our close frame (1000) if none was sent, the
    /// peer's awaited for at most the close timeout, then the TCP close.
    func finish() async {
        keepAlive?.cancel()
        if failed == nil && !shared.withLock({ $0.closeReceived }) {
            _ = try? await sendClose(.normalClosure, "")
            let timer = Task { [connection, configuration] in
                try? await Task.sleep(for: configuration.closeTimeout)
                if !Task.isCancelled { connection.closeNow() }
            }
            // Data frames still in flight are dropped; the peer's close frame ends the wait.
            while (try? await readData(.discard)) != nil {}
            timer.cancel()
        }
        await connection.close()
    }

    private func startKeepAlive(_ interval: Duration) {
        let timeout = configuration.pingTimeout
        keepAlive = Task { [weak self] in
            // The timeout runs from a ping that got no frame back, so a late timer wakeup is no silence.
            var pingedAt: ContinuousClock.Instant?
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                let (closing, last) = self.shared.withLock { ($0.closeSent || $0.closeReceived, $0.lastFrameAt) }
                if closing { return }
                if let sent = pingedAt, last < sent {
                    if ContinuousClock.now - sent > timeout {
                        self.connection.closeNow()
                        return
                    }
                    continue
                }
                pingedAt = .now
                try? await self.ping()
            }
        }
    }
}

/// Masking keys for client frames: a xoshiro256** stream seeded from the system's random source
/// (RFC 6455 asks for keys a script cannot predict; a syscall per frame would cost more than the frame).
struct MaskGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    mutating func next() -> (UInt8, UInt8, UInt8, UInt8) {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return (
            UInt8(truncatingIfNeeded: result), UInt8(truncatingIfNeeded: result >> 8),
            UInt8(truncatingIfNeeded: result >> 16), UInt8(truncatingIfNeeded: result >> 24)
        )
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { x << k | x >> (64 - k) }
}
