import HTTPTypes

/// An incremental, strict HTTP/1.1 response parser (RFC 9112), for a client's receive buffer.
///
/// Used like `HTTPRequestParser`. Set `requestMethod` before each response's head arrives: the
/// answer to HEAD has no body, and a 2xx answer to CONNECT starts a tunnel. Interim (1xx)
/// responses come as a `.head` with no `.end`, the final response's head follows; after a
/// `101 Switching Protocols` (or a tunnel) the parser reports `.end` and then only `.needMore`,
/// and the bytes after the head belong to the new protocol. A body without Content-Length or
/// chunked framing runs until the connection closes: call `finish()` then, which ends it.
public struct HTTPResponseParser {
    var core: HTTPMessageCore

    /// A parser for the responses of one connection, bounded by `limits`.
    public init(limits: HTTPParserLimits = .default) {
        core = HTTPMessageCore(limits: limits, isRequest: false)
    }

    /// The method of the request the next response answers (GET by default).
    public var requestMethod: HTTPRequest.Method = .get {
        didSet {
            core.requestWasHead = requestMethod == .head
            core.requestWasConnect = requestMethod == .connect
        }
    }

    /// The limits this parser enforces.
    public var limits: HTTPParserLimits { core.limits }

    /// Parses the next event from `buffer`, which starts at the first byte not yet consumed.
    public mutating func next(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPParserStep<HTTPResponse> {
        let (event, consumed) = try core.step(buffer)
        switch event {
        case .head:
            let response = try buildResponse(buffer)
            let length = core.headLength
            core.headConsumed()
            return HTTPParserStep(event: .head(response), consumed: length)
        case .body(let range):
            core.advance(by: consumed, ended: false)
            return HTTPParserStep(event: .body(UnsafeRawBufferPointer(rebasing: buffer[range])), consumed: consumed)
        case .end:
            let trailers = core.trailers
            core.advance(by: consumed, ended: true)
            return HTTPParserStep(event: .end(trailers: trailers), consumed: consumed)
        case .needMore:
            core.advance(by: consumed, ended: false)
            return HTTPParserStep(event: .needMore, consumed: consumed)
        }
    }

    /// Tells the parser the connection has closed: ends a close-delimited body (true: a `.end`
    /// is due and the message is complete); throws `unexpectedEnd` inside any other message.
    public mutating func finish() throws(HTTPParseError) -> Bool {
        if case .untilClose = core.phase {
            core.advance(by: 0, ended: true)
            return true
        }
        if core.isMidMessage { throw HTTPParseError(.unexpectedEnd, at: core.streamOffset + core.scanned) }
        return false
    }

    /// The body framing of the last head (valid from `.head` to the next head).
    public var framing: HTTPBodyFraming { core.framing }
    /// The Content-Length the last head declared, if any.
    public var declaredContentLength: Int? { core.facts.contentLength }
    /// The version of the last head: 1.0 or 1.1 (HTTP/1.2 and up read as 1.1).
    public var version: HTTPVersion { core.facts.minorVersion == 0 ? .http1_0 : .http1_1 }
    /// Whether the connection may carry another request after this response.
    public var keepAlive: Bool { core.keepAlive }
    /// Whether a 101 or a CONNECT tunnel ended HTTP on this connection.
    public var isUpgraded: Bool {
        if case .upgraded = core.phase { return true }
        return false
    }
    /// Bytes consumed since the parser was made: the offset of the next buffer's first byte.
    public var bytesConsumed: Int { core.streamOffset }

    mutating func buildResponse(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPResponse {
        let s = core.start
        let base = core.streamOffset
        var fields = HTTPFields()
        fields.reserveCapacity(core.fields.count)
        let names = FieldNameCache.current
        for span in core.fields { fields.append(try HTTPRequestParser.field(p, span, at: base, names: names)) }
        // The reason phrase is ISO Latin 1 (swift-http-types); obs-text bytes map one to one.
        var reason = ""
        if s.reasonEnd > s.reasonStart {
            reason = String(
                String.UnicodeScalarView(p[s.reasonStart..<s.reasonEnd].lazy.map { Unicode.Scalar($0) }))
        }
        return HTTPResponse(status: .init(code: core.facts.statusCode, reasonPhrase: reason), headerFields: fields)
    }
}
