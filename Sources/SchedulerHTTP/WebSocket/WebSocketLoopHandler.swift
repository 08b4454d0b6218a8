/// Receives a WebSocket's messages by callback on its connection's loop thread, with no task per
/// message: the fast form of a WebSocket route (``HTTPRouter/webSocket(_:configuration:middleware:handlers:)``)
/// or client (``HTTPClient/webSocket(_:headerFields:configuration:source:timeout:handlers:)``).
///
/// Every call comes on the loop thread, one at a time, so a handler needs no locking of its own;
/// it must not block. Reply through the ``WebSocketLoopWriter`` it was made with: its sends queue
/// without waiting, and while too much is queued the engine stops reading the connection.
/// Pings are answered, the close handshake completed and protocol violations answered with their
/// close code before ``closed(_:)`` is called, as for ``WebSocket``.
///
/// ```swift
/// final class Echo: WebSocketLoopHandler {
///     let writer: WebSocketLoopWriter
///     init(_ writer: WebSocketLoopWriter) { self.writer = writer }
///     func received(_ message: WebSocketMessage) { try? writer.send(message) }
/// }
/// try router.webSocket("/echo", handlers: { writer, _, _ in Echo(writer) })
/// ```
public protocol WebSocketLoopHandler: AnyObject {
    /// A whole data message arrived (unless ``streamsMessages``).
    func received(_ message: WebSocketMessage)

    /// Part of a data message arrived (only when ``streamsMessages``): a huge message is handed
    /// over as it comes, never held whole.
    func received(_ chunk: WebSocketChunk)

    /// Whether messages come as chunks (``received(_:)-(WebSocketChunk)``) instead of whole; read once, at the start.
    var streamsMessages: Bool { get }

    /// The socket has closed: nil after a completed close handshake, else why it failed.
    func closed(_ error: WebSocketError?)
}

extension WebSocketLoopHandler {
    /// Drops the message.
    public func received(_ message: WebSocketMessage) {}
    /// Drops the chunk.
    public func received(_ chunk: WebSocketChunk) {}
    /// Whole messages.
    public var streamsMessages: Bool { false }
    /// Does nothing.
    public func closed(_ error: WebSocketError?) {}
}
