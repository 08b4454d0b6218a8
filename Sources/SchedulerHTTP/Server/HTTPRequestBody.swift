public import HTTPTypes

/// The body of a request as it arrives: an async sequence of byte chunks, read from the
/// connection only when asked for, so a handler that reads slowly slows the client down.
///
/// Read it once, from the handler's own task. Bytes the handler leaves unread are skipped
/// (or the connection is closed) before the next request on the connection.
public final class HTTPRequestBody: AsyncSequence, @unchecked Sendable {
    // @unchecked: read by one task at a time, the connection's own (see the type's doc).
    /// One chunk of body bytes.
    public typealias Element = [UInt8]

    private var ready: [UInt8]?
    private let source: InboundReader?
    /// The trailer fields of a chunked body, once the body has been read to its end.
    public private(set) var trailers: HTTPFields?
    private var finished = false

    /// The body of every request without one: shared, since reading it changes nothing (no
    /// bytes ready, no source), which saves an allocation per bodyless request.
    static let empty = HTTPRequestBody(bytes: [])

    init(bytes: [UInt8]) {
        ready = bytes.isEmpty ? nil : bytes
        source = nil
    }

    init(source: InboundReader) {
        self.source = source
    }

    /// The next chunk, or nil at the end of the body.
    func nextChunk() async throws -> [UInt8]? {
        if let bytes = ready {
            ready = nil
            return bytes
        }
        guard let source, !finished else { return nil }
        switch try await source.nextBodyPart() {
        case .bytes(let bytes): return bytes
        case .end(let fields):
            trailers = fields
            finished = true
            return nil
        }
    }

    /// Reads the whole body into one array; throws ``HTTPServerError/bodyTooLarge(limit:)``
    /// past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await nextChunk() {
            guard all.count + chunk.count <= limit else { throw HTTPServerError.bodyTooLarge(limit: limit) }
            if all.isEmpty { all = chunk } else { all.append(contentsOf: chunk) }
        }
        return all
    }

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPRequestBody
        /// The next chunk, or nil at the end.
        public mutating func next() async throws -> [UInt8]? { try await body.nextChunk() }
    }

    /// An iterator over the chunks.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

/// Errors the HTTP server reports to handlers.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is longer than `limit` bytes.
    case bodyTooLarge(limit: Int)
    /// The connection closed before the body was complete.
    case connectionClosed
    /// The client sent a malformed body (a bad chunk, say); the text says what.
    case malformedBody(String)

    /// What went wrong, in words.
    public var description: String {
        switch self {
        case .bodyTooLarge(let limit): "request body over the limit of \(limit) bytes"
        case .connectionClosed: "the connection closed before the request body was complete"
        case .malformedBody(let reason): "malformed request body: \(reason)"
        }
    }
}
