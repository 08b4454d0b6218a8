public import HTTPTypes

/// A response a handler returns: a head (status and fields) and a body.
///
/// The server adds `Date`, and `Content-Length` or chunked framing as the body needs;
/// fields the handler set itself are kept.
public struct HTTPServerResponse: Sendable {
    /// The status (code and reason phrase).
    public var status: HTTPResponse.Status
    /// The header fields the handler and middleware set.
    public var headerFields: HTTPFields {
        get { preset?.fields ?? fields }
        set {
            fields = newValue
            preset = nil
        }
        _modify {
            if let preset {
                fields = preset.fields
                self.preset = nil
            }
            yield &fields
        }
    }
    /// The fields, unless ``preset`` stands for them (then empty: the shared list is not
    /// retained per response).
    private var fields: HTTPFields
    /// Which of the server's ready-made lists the fields are (nil once anyone set them): the
    /// head is then written from that list's bytes.
    private(set) var preset: PresetFields?
    /// The body: bytes known in advance, or a stream the handler writes.
    public var body: HTTPResponseBody
    /// For a `101 Switching Protocols` (a WebSocket route's): what takes the connection over
    /// once the response is sent. Middleware that changes the response keeps it.
    var takeover: ConnectionTakeover?

    /// The status and header fields as one swift-http-types value.
    ///
    /// Built when read (the server and the built-in middleware read ``status`` and
    /// ``headerFields`` instead, so a response costs no `HTTPResponse` storage of its own).
    public var head: HTTPResponse {
        get { HTTPResponse(status: status, headerFields: headerFields) }
        set {
            status = newValue.status
            headerFields = newValue.headerFields
        }
        _modify {
            // The fields are moved into the value while it is changed (no copy of the list).
            var value = HTTPResponse(status: status, headerFields: headerFields)
            headerFields = [:]
            defer {
                status = value.status
                headerFields = value.headerFields
            }
            yield &value
        }
    }

    /// A response with `status`, `headerFields` and `body` (empty by default).
    public init(
        status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: HTTPResponseBody = .empty
    ) {
        self.status = status
        self.fields = headerFields
        self.body = body
    }

    /// A response holding one of the server's ready-made field lists.
    init(status: HTTPResponse.Status, preset: PresetFields, body: HTTPResponseBody) {
        self.status = status
        self.fields = HTTPFields()
        self.preset = preset
        self.body = body
    }

    /// Appends the head to `out` (see ``ResponseHead``), from the preset's bytes when there is one.
    func encodeHead(
        framing: ResponseFraming, keepAlive: Bool, version: HTTPVersion, date: [UInt8], into out: inout [UInt8]
    ) {
        ResponseHead.encode(
            status: status, fields: fields, preset: preset, framing: framing, keepAlive: keepAlive, version: version,
            date: date, into: &out)
    }

    /// The status code (`status.code`).
    var statusCode: Int { status.code }

    /// A response from a ready-made head and a body.
    public init(head: HTTPResponse, body: HTTPResponseBody = .empty) {
        self.status = head.status
        self.fields = head.headerFields
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> HTTPServerResponse {
        HTTPServerResponse(status: status, preset: .plainText, body: .string(text))
    }

    /// A response with `status`, no body and `text` as a short plain-text explanation.
    public static func status(_ status: HTTPResponse.Status, _ text: String? = nil) -> HTTPServerResponse {
        .text(text ?? status.reasonPhrase, status: status)
    }
}

/// The body of an ``HTTPServerResponse``.
public struct HTTPResponseBody: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        /// A string's UTF-8 bytes, copied straight into the send buffer (no array per response).
        case text(String)
        case stream(length: Int?, @Sendable (HTTPBodyWriter) async throws -> Void)
    }
    let storage: Storage

    /// No body.
    public static let empty = HTTPResponseBody(storage: .bytes([]))

    /// These bytes, sent with `Content-Length`.
    public static func bytes(_ bytes: [UInt8]) -> HTTPResponseBody {
        HTTPResponseBody(storage: .bytes(bytes))
    }

    /// The UTF-8 bytes of `text`, sent with `Content-Length`.
    public static func string(_ text: String) -> HTTPResponseBody {
        HTTPResponseBody(storage: .text(text))
    }

    /// A body the handler writes as it produces it: chunked (or close-delimited to HTTP/1.0),
    /// or sent with `Content-Length` when `length` is given. Each write waits while the
    /// connection's send queue is full, so a slow reader slows the producer down.
    public static func stream(
        length: Int? = nil, _ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> HTTPResponseBody {
        HTTPResponseBody(storage: .stream(length: length, produce))
    }

    /// The byte count when known before sending (nil for a stream of unknown length).
    public var byteCount: Int? {
        switch storage {
        case .bytes(let bytes): bytes.count
        case .text(let text): text.utf8.count
        case .stream(let length, _): length
        }
    }
}

extension HTTPResponseBody {
    /// The body's bytes when they are known in advance (nil for a stream).
    public var bytes: [UInt8]? {
        switch storage {
        case .bytes(let bytes): bytes
        case .text(let text): Array(text.utf8)
        case .stream: nil
        }
    }
}
