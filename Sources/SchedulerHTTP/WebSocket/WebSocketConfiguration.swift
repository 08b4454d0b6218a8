/// Settings of one WebSocket endpoint, server route or client.
public struct WebSocketConfiguration: Sendable {
    /// The largest message accepted (after decompression); a bigger one fails the connection with 1009.
    public var maxMessageSize: Int
    /// The largest message accepted when messages are streamed in chunks (``WebSocket/chunks``);
    /// a bigger one fails the connection with 1009.
    public var maxStreamedMessageSize: Int
    /// Outgoing messages larger than this go out in several frames.
    public var maxFrameSize: Int
    /// permessage-deflate: offered (client) or accepted when offered (server); nil for never.
    public var compression: WebSocketCompression?
    /// Subprotocols this side speaks, in order of preference.
    public var subprotocols: [String]
    /// How long to wait for the peer's close frame (or its TCP close) after ours.
    public var closeTimeout: Duration
    /// Send a ping this often while the connection is open (nil: never).
    public var pingInterval: Duration?
    /// Close the connection when no frame arrived within this long after a keep-alive ping.
    public var pingTimeout: Duration

    /// 16 MiB messages (4 GiB streamed), 64 KiB frames, no compression, no subprotocols, 5 s to close, no pings.
    public init(
        maxMessageSize: Int = 16 << 20, maxFrameSize: Int = 64 << 10, compression: WebSocketCompression? = nil,
        subprotocols: [String] = [], closeTimeout: Duration = .seconds(5), pingInterval: Duration? = nil,
        pingTimeout: Duration = .seconds(10), maxStreamedMessageSize: Int = 4 << 30
    ) {
        self.maxStreamedMessageSize = maxStreamedMessageSize
        self.maxMessageSize = maxMessageSize
        self.maxFrameSize = max(1, maxFrameSize)
        self.compression = compression
        self.subprotocols = subprotocols
        self.closeTimeout = closeTimeout
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
    }
}
