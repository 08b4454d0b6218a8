public import SchedulerEngine
@_spi(SchedulerInternals) public import SchedulerPool
import Synchronization

/// The sending side of a WebSocket served by a ``WebSocketLoopHandler``: sends queue at once,
/// without waiting, from the loop thread's callbacks or from any other thread.
///
/// Frames leave in call order; a message is queued whole (all its frames in one go). While more
/// than about 1 MiB is queued the engine stops reading the connection until the peer catches up
/// (``TCPConnection/sendNow(_:)-(TCPBuffer)``). After a close frame went out, sends throw.
public final class WebSocketLoopWriter: @unchecked Sendable {
    // @unchecked: everything that changes is under `state`; the deflater is used under it too.
    /// This end's role.
    public let role: WebSocket.Role
    /// The subprotocol both sides agreed on, if any.
    public let subprotocol: String?
    /// Whether permessage-deflate was agreed.
    public var isCompressed: Bool { deflater != nil }
    /// The address of this end.
    public var localAddress: SocketAddress { connection.localAddress }
    /// The address of the peer.
    public var remoteAddress: SocketAddress { connection.peerAddress }
    /// The close code the peer sent (``WebSocketCloseCode/noStatusReceived`` for a close frame without one), or nil.
    public var closeCode: WebSocketCloseCode? { state.withLock { $0.closeCode } }
    /// The reason the peer gave with its close code.
    public var closeReason: String { state.withLock { $0.closeReason } }

    let connection: TCPConnection
    let configuration: WebSocketConfiguration
    let deflater: MessageDeflater?

    private struct State {
        var encoder: WebSocketFrameEncoder
        var closeSent = false
        var closeReceived = false
        var closeCode: WebSocketCloseCode?
        var closeReason = ""
        var lastFrameAt = ContinuousClock.now
        var timers: [Task<Void, Never>] = []
        var ended = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: FutexMutex<State>

    init(
        connection: TCPConnection, role: WebSocket.Role, configuration: WebSocketConfiguration, subprotocol: String?,
        deflater: MessageDeflater?
    ) {
        self.connection = connection
        self.role = role
        self.configuration = configuration
        self.subprotocol = subprotocol
        self.deflater = deflater
        state = FutexMutex(State(encoder: WebSocketFrameEncoder(role: role)))
    }

    // MARK: Sending

    /// Queues a data message, in frames of at most `maxFrameSize` bytes, compressed when agreed.
    public func send(_ message: WebSocketMessage) throws(WebSocketError) {
        switch message {
        case .text(let text): try send(text: text)
        case .binary(let bytes): try send(binary: bytes)
        }
    }

    /// Queues a text message.
    public func send(text: String) throws(WebSocketError) {
        var text = text
        try text.withUTF8 { utf8 in
            Result { () throws(WebSocketError) in try sendData(.text, UnsafeRawBufferPointer(utf8)) }
        }.get()
    }

    /// Queues a binary message.
    public func send(binary bytes: [UInt8]) throws(WebSocketError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(WebSocketError) in try sendData(.binary, raw) } }.get()
    }

    /// Queues a ping with up to 125 bytes of `payload`; the pong is taken in by the loop.
    public func ping(_ payload: [UInt8] = []) throws(WebSocketError) {
        guard payload.count <= 125 else {
            throw WebSocketError.protocolError("a ping payload of \(payload.count) bytes (at most 125)")
        }
        try sendControl(.ping, payload)
    }

    /// Starts the close handshake with `code` and `reason` (at most 123 bytes of UTF-8); the
    /// connection closes once the peer answers or ``WebSocketConfiguration/closeTimeout`` passed.
    public func close(_ code: WebSocketCloseCode = .normalClosure, reason: String = "") throws(WebSocketError) {
        guard code.isSendable else { throw WebSocketError.protocolError("close code \(code) may not be sent") }
        guard reason.utf8.count <= 123 else { throw WebSocketError.protocolError("a close reason over 123 bytes") }
        if try sendClose(code, reason) { closeAfterTimeout() }
    }

    private func sendData(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) throws(WebSocketError) {
        try state.withLock { state throws(WebSocketError) in
            if state.closeSent { throw WebSocketError(.normalClosure, "the WebSocket is closing") }
            var out: [UInt8] = []
            if let deflater, payload.count >= deflater.minimumSize {
                let body = try deflater.compress(payload)
                body.withUnsafeBytes { frames(opcode, $0, rsv1: true, &state.encoder, into: &out) }
            } else {
                frames(opcode, payload, rsv1: false, &state.encoder, into: &out)
            }
            try queue(out)
        }
    }

    private func frames(
        _ opcode: WebSocketOpcode, _ body: UnsafeRawBufferPointer, rsv1: Bool, _ encoder: inout WebSocketFrameEncoder,
        into out: inout [UInt8]
    ) {
        var offset = 0
        repeat {
            let count = min(configuration.maxFrameSize, body.count - offset)
            encoder.append(
                offset == 0 ? opcode : .continuation, UnsafeRawBufferPointer(rebasing: body[offset..<offset + count]),
                fin: offset + count == body.count, rsv1: rsv1 && offset == 0, to: &out)
            offset += count
        } while offset < body.count
    }

    func sendControl(_ opcode: WebSocketOpcode, _ payload: [UInt8]) throws(WebSocketError) {
        try state.withLock { state throws(WebSocketError) in
            if state.closeSent { throw WebSocketError(.normalClosure, "the WebSocket is closing") }
            try queue(payload.withUnsafeBytes { state.encoder.frame(opcode, $0, fin: true, rsv1: false) })
        }
    }

    /// Queues a close frame unless one was sent; true when this call queued it.
    @discardableResult
    func sendClose(_ code: WebSocketCloseCode?, _ reason: String) throws(WebSocketError) -> Bool {
        try state.withLock { state throws(WebSocketError) in
            if state.closeSent { return false }
            state.closeSent = true
            let payload = WebSocketFrameEncoder.closePayload(code, reason)
            try queue(payload.withUnsafeBytes { state.encoder.frame(.close, $0, fin: true, rsv1: false) })
            return true
        }
    }

    private func queue(_ bytes: [UInt8]) throws(WebSocketError) {
        do { try connection.sendNow(bytes) } catch {
            throw WebSocketError(.abnormalClosure, "sending failed: \(error)")
        }
    }

    // MARK: Closing (for the driver)

    /// Cuts the connection once the close timeout passes (the peer did not answer in time).
    func closeAfterTimeout() {
        let timer = Task { [connection, configuration] in
            try? await Task.sleep(for: configuration.closeTimeout)
            if !Task.isCancelled { connection.closeNow() }
        }
        state.withLock { $0.timers.append(timer) }
    }

    /// The peer's close frame arrived.
    func closeReceived(_ code: WebSocketCloseCode?, _ reason: String) {
        state.withLock { state in
            state.closeReceived = true
            state.closeCode = code ?? .noStatusReceived
            state.closeReason = reason
        }
    }

    var hasReceivedClose: Bool { state.withLock { $0.closeReceived } }

    /// Bytes came from the peer (for the keep-alive pings' timeout).
    func touch() { state.withLock { $0.lastFrameAt = .now } }

    /// Sends a ping every `interval`; cuts the connection when nothing came for `interval + timeout`.
    func startKeepAlive(_ interval: Duration) {
        let timeout = configuration.pingTimeout
        let task = Task { [weak self] in
            // The timeout runs from a ping that got no frame back, so a late timer wakeup is no silence.
            var pingedAt: ContinuousClock.Instant?
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                let (closing, last) = self.state.withLock { ($0.closeSent || $0.closeReceived, $0.lastFrameAt) }
                if closing { return }
                if let sent = pingedAt, last < sent {
                    if ContinuousClock.now - sent > timeout {
                        self.connection.closeNow()
                        return
                    }
                    continue
                }
                pingedAt = .now
                try? self.ping()
            }
        }
        state.withLock { $0.timers.append(task) }
    }

    /// The socket is done: stops the timers and wakes ``waitEnded()``.
    func ended() {
        let (timers, waiters) = state.withLock { state in
            state.ended = true
            defer {
                state.timers = []
                state.waiters = []
            }
            return (state.timers, state.waiters)
        }
        for timer in timers { timer.cancel() }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the socket has ended: its handler's ``WebSocketLoopHandler/closed(_:)`` was called.
    public func waitUntilClosed() async { await waitEnded() }

    /// Waits until ``ended()`` was called; any number of tasks may wait at once.
    func waitEnded() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = state.withLock { state in
                if !state.ended { state.waiters.append(continuation) }
                return state.ended
            }
            if ended { continuation.resume() }
        }
    }
}
