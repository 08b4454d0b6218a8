public import HTTPTypes
import Synchronization

/// A response body as chunks of bytes, each received from the connection only when the
/// iterator asks for it (the server is held back by TCP until then), so a download of any size
/// needs memory for one chunk.
///
/// Read it to the end (or drop it): the connection goes back to the pool once the last byte is
/// read; a body dropped before its end closes its connection. One task reads at a time.
public final class HTTPClientResponseBody: AsyncSequence, @unchecked Sendable {
    /// One chunk of bytes as the connection delivered it (decoded when the client decompresses).
    public typealias Element = [UInt8]

    private var connection: ClientConnection?
    private let pool: ConnectionPool?
    private let deadline: ClientDeadline
    private let limit: Int?
    private var decoder: GzipDecoder?
    private var received = 0
    /// The trailer fields of a chunked body, once the body was read to its end.
    public private(set) var trailers: HTTPFields?

    init(
        connection: ClientConnection?, pool: ConnectionPool?, deadline: ClientDeadline, limit: Int?,
        decoder: GzipDecoder?
    ) {
        self.connection = connection
        self.pool = pool
        self.deadline = deadline
        self.limit = limit
        self.decoder = decoder
    }

    /// An empty body, already complete.
    static func empty(trailers: HTTPFields? = nil) -> HTTPClientResponseBody {
        let body = HTTPClientResponseBody(
            connection: nil, pool: nil, deadline: ClientDeadline(total: nil, read: .seconds(1)), limit: nil,
            decoder: nil)
        body.trailers = trailers
        return body
    }

    deinit {
        if let connection {
            connection.discard()
            pool?.release(connection)
        }
    }

    /// The next chunk, nil at the end; throws ``HTTPClientError`` (the connection is closed then).
    func nextChunk() async throws -> [UInt8]? {
        guard let connection else { return nil }
        do {
            while true {
                switch try await connection.nextEvent(deadline) {
                case .head:
                    throw HTTPClientError.connectionReset("a head inside a body")
                case .body(let bytes):
                    received += bytes.count
                    if let limit, decoder == nil, received > limit { throw HTTPClientError.responseTooLarge(limit: limit) }
                    if let decoder {
                        let plain = try decoder.decode(bytes)
                        if plain.isEmpty { continue }
                        return plain
                    }
                    return bytes
                case .end(let trailers):
                    self.trailers = trailers
                    self.connection = nil
                    let tail = try decoder?.finish() ?? []
                    pool?.release(connection)
                    return tail.isEmpty ? nil : tail
                }
            }
        } catch {
            self.connection = nil
            connection.discard()
            pool?.release(connection)
            throw error
        }
    }

    /// The whole body, failing with `responseTooLarge` past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await nextChunk() {
            guard bytes.count + chunk.count <= limit else {
                close()
                throw HTTPClientError.responseTooLarge(limit: limit)
            }
            bytes += chunk
        }
        return bytes
    }

    /// The whole body as UTF-8 text (invalid bytes repaired), at most `limit` bytes.
    public func string(upTo limit: Int = 16 << 20) async throws -> String {
        String(decoding: try await collect(upTo: limit), as: UTF8.self)
    }

    /// Stops reading: the connection is closed (its unread bytes cannot be skipped cheaply).
    public func close() {
        guard let connection else { return }
        self.connection = nil
        connection.discard()
        pool?.release(connection)
    }

    /// Reads and drops up to `limit` bytes to keep the connection; closes it if more come.
    func drain(upTo limit: Int) async {
        var dropped = 0
        while dropped <= limit {
            guard let chunk = try? await nextChunk() else { return }
            dropped += chunk.count
        }
        close()
    }

    /// Whether the body is gzip-decoded as it is read.
    var decodes: Bool { decoder != nil }

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPClientResponseBody
        /// The next chunk, nil at the end.
        public mutating func next() async throws -> [UInt8]? { try await body.nextChunk() }
    }

    /// An iterator over the chunks.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
