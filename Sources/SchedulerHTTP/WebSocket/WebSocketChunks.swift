/// The messages of a ``WebSocket`` as chunks as they arrive; see ``WebSocket/chunks``.
public struct WebSocketChunks: AsyncSequence, Sendable {
    let socket: WebSocket

    /// Reads the socket as it is iterated.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let socket: WebSocket

        /// The next chunk; nil once the close handshake is done.
        public mutating func next() async throws(WebSocketError) -> WebSocketChunk? {
            try await socket.nextChunk()
        }

        /// The next chunk, for callers without typed throws.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(WebSocketError)
            -> WebSocketChunk?
        {
            try await socket.nextChunk()
        }
    }

    /// An iterator; iterate from one task at a time.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(socket: socket) }
}
