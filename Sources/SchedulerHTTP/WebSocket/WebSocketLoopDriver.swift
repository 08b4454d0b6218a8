import SchedulerEngine

/// Runs the frame codec's receiving half on the connection's loop thread for a
/// ``WebSocketLoopHandler``: bytes in by engine callback, events out to the handler, control
/// frames answered through the ``WebSocketLoopWriter``.
final class WebSocketLoopDriver: TCPConnectionHandler {
    let writer: WebSocketLoopWriter
    private var receiver: WebSocketReceiver
    private var handler: (any WebSocketLoopHandler)?
    private var mode = WebSocketReceiver.Mode.messages
    private var finished = false
    /// A client that answered the server's close: it waits for the server's TCP close.
    private var awaitingPeerClose = false

    init(writer: WebSocketLoopWriter, buffered: [UInt8]) {
        self.writer = writer
        receiver = WebSocketReceiver(
            role: writer.role, configuration: writer.configuration, deflater: writer.deflater, buffered: buffered)
    }

    /// Runs `handler` on the connection: hands it what came with the handshake, then attaches to
    /// the loop, and returns once the socket has ended and the connection is closed.
    static func run(
        writer: WebSocketLoopWriter, buffered: [UInt8],
        makeHandler: @escaping @Sendable (WebSocketLoopWriter) -> any WebSocketLoopHandler
    ) async {
        await start(writer: writer, buffered: buffered, makeHandler: makeHandler)
        await writer.waitEnded()
        await writer.connection.close()
    }

    /// Makes the handler on the loop thread, hands it what came with the handshake, then attaches.
    static func start(
        writer: WebSocketLoopWriter, buffered: [UInt8],
        makeHandler: @escaping @Sendable (WebSocketLoopWriter) -> any WebSocketLoopHandler
    ) async {
        let connection = writer.connection
        if let interval = writer.configuration.pingInterval { writer.startKeepAlive(interval) }
        let box = await Task(executorPreference: connection.executor) { () -> DriverBox in
            let driver = WebSocketLoopDriver(writer: writer, buffered: buffered)
            let handler = makeHandler(writer)
            driver.handler = handler
            driver.mode = handler.streamsMessages ? .chunks : .messages
            driver.process()
            return DriverBox(driver: driver)
        }.value
        await connection.setHandler(box.driver)
    }

    func received(_ buffer: consuming TCPBuffer) {
        guard !finished && !awaitingPeerClose else { return }
        receiver.append(buffer)
        writer.touch()
        process()
    }

    func receiveEnded(_ error: EngineError?) {
        if writer.hasReceivedClose {
            finish(nil)
        } else if let error {
            finish(WebSocketError(.abnormalClosure, "receiving failed: \(error)"))
        } else {
            finish(WebSocketError(.abnormalClosure, "the peer closed the connection without a close frame"))
        }
    }

    /// Hands out every complete event in what was received.
    private func process() {
        while !finished && !awaitingPeerClose {
            let event: WebSocketEvent?
            do { event = try receiver.next(mode) } catch {
                fail(error)
                return
            }
            guard let event else { return }
            switch event {
            case .message(let message):
                handler?.received(message)
            case .chunk(let chunk):
                handler?.received(chunk)
            case .ping(let payload):
                try? writer.sendControl(.pong, payload)
            case .pong:
                break
            case .close(let code, let reason):
                writer.closeReceived(code, reason)
                _ = try? writer.sendClose(code, "")
                if writer.role == .server {
                    writer.connection.closeNow()
                    finish(nil)
                } else {
                    // The server closes TCP first (RFC 6455 §7.1.1); `receiveEnded` follows.
                    awaitingPeerClose = true
                    writer.closeAfterTimeout()
                }
            }
        }
    }

    /// A protocol violation: the close frame with its code, then the TCP close.
    private func fail(_ error: WebSocketError) {
        if error.code.isSendable { _ = try? writer.sendClose(error.code, WebSocket.shortened(error.reason)) }
        writer.connection.closeNow()
        finish(error)
    }

    private func finish(_ error: WebSocketError?) {
        guard !finished else { return }
        finished = true
        let handler = self.handler
        self.handler = nil
        handler?.closed(error)
        writer.ended()
    }
}

/// Carries a driver from the loop thread, which made it, to `setHandler`, which hands it back there.
private struct DriverBox: @unchecked Sendable {
    let driver: WebSocketLoopDriver
}
