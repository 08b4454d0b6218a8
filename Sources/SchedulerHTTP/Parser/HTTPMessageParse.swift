import HTTPTypes

/// A whole request parsed in one call: its head, its body and its trailers.
public struct HTTPParsedRequest: Sendable {
    /// The request head.
    public var head: HTTPRequest
    /// The body bytes, chunk framing removed.
    public var body: [UInt8]
    /// The trailer fields of a chunked body, if any.
    public var trailers: HTTPFields?
    /// The bytes the message took: any bytes after it belong to a next (pipelined) message.
    public var consumed: Int
}

/// A whole response parsed in one call: its head, its body and its trailers.
public struct HTTPParsedResponse: Sendable {
    /// The final response head (interim 1xx heads are skipped).
    public var head: HTTPResponse
    /// The body bytes, chunk framing removed.
    public var body: [UInt8]
    /// The trailer fields of a chunked body, if any.
    public var trailers: HTTPFields?
    /// The bytes the message took.
    public var consumed: Int
}

extension HTTPRequest {
    /// Parses one complete request from `bytes` (the seed's `HttpRequest::parse`); throws
    /// `unexpectedEnd` when the bytes end before the message does.
    public static func parse(_ bytes: some Sequence<UInt8>, limits: HTTPParserLimits = .default)
        throws(HTTPParseError) -> HTTPParsedRequest
    {
        let array = Array(bytes)
        var parser = HTTPRequestParser(limits: limits)
        var head: HTTPRequest? = nil
        var body: [UInt8] = []
        var offset = 0
        while true {
            let step = try array.withUnsafeBytes { raw in
                Result { () throws(HTTPParseError) in
                    let step = try parser.next(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    if case .body(let bytes) = step.event { body.append(contentsOf: bytes) }
                    return step.erasingBody()
                }
            }.get()
            offset += step.consumed
            switch step.event {
            case .head(let h): head = h
            case .body: break
            case .end(let trailers):
                return HTTPParsedRequest(head: head!, body: body, trailers: trailers, consumed: offset)
            case .needMore:
                throw HTTPParseError(.unexpectedEnd, at: array.count)
            }
        }
    }
}

extension HTTPResponse {
    /// Parses one complete response from `bytes`; a body without framing runs to the end of
    /// `bytes` (the connection closed there). `requestMethod` is the method it answers.
    public static func parse(
        _ bytes: some Sequence<UInt8>, requestMethod: HTTPRequest.Method = .get, limits: HTTPParserLimits = .default
    ) throws(HTTPParseError) -> HTTPParsedResponse {
        let array = Array(bytes)
        var parser = HTTPResponseParser(limits: limits)
        parser.requestMethod = requestMethod
        var head: HTTPResponse? = nil
        var body: [UInt8] = []
        var offset = 0
        while true {
            let step = try array.withUnsafeBytes { raw in
                Result { () throws(HTTPParseError) in
                    let step = try parser.next(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    if case .body(let bytes) = step.event { body.append(contentsOf: bytes) }
                    return step.erasingBody()
                }
            }.get()
            offset += step.consumed
            switch step.event {
            case .head(let h): head = h
            case .body: break
            case .end(let trailers):
                return HTTPParsedResponse(head: head!, body: body, trailers: trailers, consumed: offset)
            case .needMore:
                if try parser.finish(), let head {
                    return HTTPParsedResponse(head: head, body: body, trailers: nil, consumed: offset)
                }
                throw HTTPParseError(.unexpectedEnd, at: array.count)
            }
        }
    }
}

/// A parser step with its body slice dropped (it must not outlive the buffer it points into).
enum DetachedEvent<Head> {
    case head(Head)
    case body
    case end(trailers: HTTPFields?)
    case needMore
}

extension HTTPParserStep {
    /// The step's event without its body slice, and its consumed count.
    func erasingBody() -> (event: DetachedEvent<Head>, consumed: Int) {
        switch event {
        case .head(let h): (.head(h), consumed)
        case .body: (.body, consumed)
        case .end(let t): (.end(trailers: t), consumed)
        case .needMore: (.needMore, consumed)
        }
    }
}
