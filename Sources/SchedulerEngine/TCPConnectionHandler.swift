/// Receives a connection's bytes by callback on its loop thread, without a task per message:
/// the engine's counterpart of SwiftNIO's `ChannelInboundHandler`.
///
/// ``TCPServer/serve(handlers:)`` makes one handler per connection. Every call comes on the
/// connection's loop thread, one at a time, so a handler needs no locking of its own; it must
/// not block. Reply with ``TCPConnection/sendNow(_:)-(TCPBuffer)``: it queues without waiting,
/// and while more than about 1 MiB is queued the engine stops reading the connection until
/// the peer has taken half of it, so a slow reader cannot make the queue grow without bound.
///
/// ```swift
/// final class Echo: TCPConnectionHandler {
///     let connection: TCPConnection
///     init(_ connection: TCPConnection) { self.connection = connection }
///     func received(_ buffer: consuming TCPBuffer) {
///         do { try connection.sendNow(buffer) } catch { connection.closeNow() }
///     }
/// }
/// await server.serve(handlers: { Echo($0) })
/// ```
public protocol TCPConnectionHandler: AnyObject {
    /// Bytes arrived; hand them on (e.g. with `sendNow`) or drop them to give the memory back.
    func received(_ buffer: consuming TCPBuffer)

    /// No more bytes will arrive: nil at the peer's end of stream or when the connection was
    /// closed, else why receiving failed. The connection closes after its queued bytes are sent.
    func receiveEnded(_ error: EngineError?)
}

extension TCPConnectionHandler {
    /// Does nothing: the engine closes the connection after its queued bytes are sent.
    public func receiveEnded(_ error: EngineError?) {}
}

extension TCPServer {
    /// Accepts connections and drives each with the handler `makeHandler` returns for it, on its
    /// loop thread, until shutdown.
    ///
    /// Cancelling the calling task shuts the server down. Returns once every connection has
    /// closed and every loop has stopped. See ``TCPConnectionHandler``.
    public func serve(handlers makeHandler: @escaping @Sendable (TCPConnection) -> any TCPConnectionHandler)
        async
    {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await connection in connections {
                    // One task per connection (not per message): it attaches the handler on the
                    // loop thread and waits for the close.
                    group.addTask(executorPreference: connection.executor) {
                        connection.core.attach(makeHandler(connection))
                        await connection.core.waitClosed()
                    }
                }
            }
        } onCancel: {
            self.beginShutdown()
        }
        await shutdown()
    }
}
