public import HTTPTypes

/// A request for ``HTTPClient``: a swift-http-types head and a body.
///
/// The head's `scheme`, `authority` and `path` give the URL; ``init(url:method:headerFields:body:)``
/// fills them from a URL string. Framing fields (`Content-Length`, `Transfer-Encoding`) are set
/// by the client from the body.
public struct HTTPClientRequest: Sendable {
    /// The method, URL parts and header fields.
    public var head: HTTPRequest
    /// What is sent after the head.
    public var body: HTTPClientRequestBody
    /// Where the connection leaves from; nil takes the client's ``HTTPClient/Configuration/source``.
    public var source: HTTPClientSource?

    /// A request with `head` and `body`.
    public init(head: HTTPRequest, body: HTTPClientRequestBody = .empty, source: HTTPClientSource? = nil) {
        self.head = head
        self.body = body
        self.source = source
    }

    /// A request for `url` (`http://host[:port]/path`); throws for a malformed URL or `https`.
    public init(
        url: String, method: HTTPRequest.Method = .get, headerFields: HTTPFields = [:],
        body: HTTPClientRequestBody = .empty, source: HTTPClientSource? = nil
    ) throws(HTTPClientError) {
        let parsed = try HTTPClientURL(url)
        self.init(
            head: HTTPRequest(
                method: method, scheme: parsed.scheme, authority: parsed.authority, path: parsed.target,
                headerFields: headerFields),
            body: body, source: source)
    }

    /// The URL of the head (`scheme://authority/path`).
    func url() throws(HTTPClientError) -> HTTPClientURL {
        guard let scheme = head.scheme else { throw .invalidURL("the request has no scheme") }
        guard let authority = head.authority else { throw .invalidURL("the request has no authority") }
        return try HTTPClientURL("\(scheme)://\(authority)\(head.path ?? "/")")
    }
}

/// A request body: none, bytes in memory, or a stream read only as fast as the connection sends.
public struct HTTPClientRequestBody: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case stream(length: Int?, make: @Sendable () -> any AsyncSequence<[UInt8], any Error> & Sendable)
    }
    let storage: Storage

    /// No body (no framing field for GET, HEAD, DELETE...; `Content-Length: 0` for POST and PUT).
    public static let empty = HTTPClientRequestBody(storage: .bytes([]))

    /// These bytes, with `Content-Length`.
    public static func bytes(_ bytes: some Collection<UInt8>) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .bytes(Array(bytes)))
    }

    /// The UTF-8 bytes of `text`.
    public static func string(_ text: String) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .bytes(Array(text.utf8)))
    }

    /// Chunks from `sequence`, each pulled only when the previous one is queued on the connection
    /// (backpressure); `length` given: sent with Content-Length (and checked), else chunked.
    ///
    /// A stream is read once: such a request is not retried and not sent again on a 307/308 redirect.
    public static func stream<S: AsyncSequence<[UInt8], any Error> & Sendable>(
        _ sequence: S, length: Int? = nil
    ) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .stream(length: length, make: { sequence }))
    }

    /// Whether the body can be sent again (bytes in memory can, a stream cannot).
    var isReplayable: Bool {
        if case .bytes = storage { return true }
        return false
    }

    /// Whether there is nothing to send.
    var isEmpty: Bool {
        if case .bytes(let bytes) = storage { return bytes.isEmpty }
        return false
    }
}
