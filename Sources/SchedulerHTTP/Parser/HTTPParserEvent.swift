import HTTPTypes

/// What one parser step found. `Head` is `HTTPRequest` or `HTTPResponse`.
///
/// `.body` is a slice of the buffer given to that step: valid only as long as that buffer.
public enum HTTPParserEvent<Head> {
    /// A complete head; its framing is in the parser's `framing` until the next head.
    case head(Head)
    /// Body bytes (chunk framing removed), a slice of the buffer given.
    case body(UnsafeRawBufferPointer)
    /// The message is complete; `trailers` holds a chunked body's trailer fields, if any.
    case end(trailers: HTTPFields?)
    /// The buffer holds no complete event: give the same unconsumed bytes again with more after them.
    case needMore
}

/// One parser step: the event and how many bytes of the buffer it used.
public struct HTTPParserStep<Head> {
    /// What was found.
    public var event: HTTPParserEvent<Head>
    /// Bytes of the buffer used; the next step's buffer starts right after them.
    public var consumed: Int
}

/// How a message's body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body (no framing field, a HEAD answer, 1xx, 204, 304).
    case none
    /// Exactly this many bytes.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// A response read until the connection closes.
    case untilClose
}

/// The protocol version of a parsed message: 1.0 or 1.1 (a higher 1.x is reported as 1.1).
public struct HTTPVersion: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The major version, always 1.
    public var major: Int
    /// The minor version, 0 or 1.
    public var minor: Int
    /// HTTP/1.0.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    /// `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
