/// The messages of a ``WebSocket`` as an async sequence; see ``WebSocket/messages``.
public struct WebSocketInbound: AsyncSequence, Sendable {
    let socket: WebSocket

    /// Reads the socket as it is iterated.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let socket: WebSocket

        /// The next message; nil once the close handshake is done.
        public mutating func next() async throws(WebSocketError) -> WebSocketMessage? {
            try await socket.nextMessage()
        }

        /// The next message, for callers without typed throws.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(WebSocketError)
            -> WebSocketMessage?
        {
            try await socket.nextMessage()
        }
    }

    /// An iterator; iterate from one task at a time.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(socket: socket) }
}
