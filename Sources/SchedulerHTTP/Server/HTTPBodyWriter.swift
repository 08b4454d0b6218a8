public import HTTPTypes
import SchedulerEngine

/// Writes a streamed response body: each write goes out at once (one chunk in chunked
/// framing) and waits while the connection's send queue is full.
public final class HTTPBodyWriter: @unchecked Sendable {
    // @unchecked: used by one task at a time, the handler's (as the body closure's doc says).
    private let connection: TCPConnection?
    private let framing: ResponseFraming
    /// Where the bytes go when there is no connection (an HTTP/1.0 stream gathered for its length).
    private(set) var gatheredBytes: [UInt8] = []
    /// HEAD responses: nothing is written, only counted.
    private let discard: Bool
    private(set) var trailers: HTTPFields?
    /// Where writes go in a writer that forwards them (a middleware transforming a stream).
    private let sink: (@Sendable ([UInt8]) async throws -> Void)?
    private var scratch: [UInt8] = []
    /// Body bytes written so far.
    public private(set) var bytesWritten = 0

    init(connection: TCPConnection, framing: ResponseFraming, discard: Bool) {
        self.connection = connection
        self.framing = framing
        self.discard = discard
        sink = nil
    }

    /// A writer that keeps what is written, to be sent later with its length.
    init(gathering: Void) {
        connection = nil
        framing = .untilClose
        discard = false
        sink = nil
    }

    /// A writer that hands each write to `sink`: how a middleware transforms a streamed body.
    init(forwardingTo sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        connection = nil
        framing = .untilClose
        discard = false
        self.sink = sink
    }

    /// Sends `bytes` as the next part of the body (an empty write sends nothing).
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        if case .length(let declared) = framing, bytesWritten > declared {
            throw HTTPServerError.malformedBody("the handler wrote more than its declared \(declared) bytes")
        }
        if discard { return }
        if let sink {
            try await sink(bytes)
            return
        }
        guard let connection else {
            gatheredBytes.append(contentsOf: bytes)
            return
        }
        guard framing == .chunked else {
            try await connection.send(bytes)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        ResponseHead.appendHex(bytes.count, to: &scratch)
        scratch.append(contentsOf: ResponseHead.crlf)
        scratch.append(contentsOf: bytes)
        scratch.append(contentsOf: ResponseHead.crlf)
        try await connection.send(scratch)
    }

    /// Sends the UTF-8 bytes of `text`.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Sets trailer fields, sent after the last chunk of a chunked body (ignored otherwise).
    public func setTrailers(_ fields: HTTPFields) {
        trailers = fields
    }

    /// Ends the body: the last chunk and the trailers in chunked framing.
    func finish() async throws {
        if case .length(let declared) = framing, bytesWritten != declared {
            throw HTTPServerError.malformedBody("the handler wrote \(bytesWritten) of its declared \(declared) bytes")
        }
        guard framing == .chunked, !discard, let connection else { return }
        var end: [UInt8] = Array("0\r\n".utf8)
        for field in trailers ?? [:] {
            end.append(contentsOf: field.name.rawName.utf8)
            end.append(contentsOf: ": ".utf8)
            end.append(contentsOf: field.value.utf8)
            end.append(contentsOf: ResponseHead.crlf)
        }
        end.append(contentsOf: ResponseHead.crlf)
        try await connection.send(end)
    }
}
