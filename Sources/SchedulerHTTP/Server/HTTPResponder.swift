public import HTTPTypes
public import SchedulerPool

/// What answers requests: the server calls it once per request, in order per connection.
///
/// The call runs in the connection's own task on its event loop thread, so a handler that
/// does not suspend costs no task and no thread hop per request; one that awaits holds up only
/// its own connection (later pipelined requests wait, as HTTP/1.1 requires).
public protocol HTTPResponder: Sendable {
    /// Answers `request`; a thrown error becomes a 500 response (or closes the connection if
    /// the response head was already sent).
    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse

    /// Answers `request` without suspending when this responder can (its handler is
    /// synchronous), else returns nil and the server calls ``respond(to:)``. The server tries
    /// this first: an answer given here costs no async call and no executor check. Both must
    /// answer alike. The default returns nil.
    ///
    /// While a connection's answers come from here, the server serves it on its loop thread
    /// between requests with no task (see ``HTTPServer/Configuration/parkIdleAfter``): this may
    /// then run outside any task (no task-local values, `Task.isCancelled` is false).
    func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse?
}

extension HTTPResponder {
    /// No synchronous answer: the server calls ``respond(to:)``.
    public func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? { nil }
}

/// An ``HTTPResponder`` made from a closure, synchronous or async.
///
/// A closure that does not `await` is taken as synchronous (Swift prefers that initializer for
/// it) and runs where the request arrived, with no async call per request.
public struct HTTPClosureResponder: HTTPResponder {
    private enum Body: Sendable {
        case synchronous(@Sendable (HTTPServerRequest) throws -> HTTPServerResponse)
        case async(@Sendable (HTTPServerRequest) async throws -> HTTPServerResponse)
    }
    private let body: Body

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse) {
        self.body = .async(body)
    }

    /// Wraps a synchronous `body`.
    public init(_ body: @escaping @Sendable (HTTPServerRequest) throws -> HTTPServerResponse) {
        self.body = .synchronous(body)
    }

    /// Calls the closure.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        switch body {
        case .synchronous(let body): try body(request)
        case .async(let body): try await body(request)
        }
    }

    /// Calls a synchronous closure; nil for an async one.
    public func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? {
        guard case .synchronous(let body) = body else { return nil }
        return try body(request)
    }
}

/// A request as a handler sees it: the head, the body as a stream, and where it came in.
///
/// A request from the server keeps its head as the bytes that arrived until someone reads
/// `head`: ``method``, ``path`` and the router, request id, logging and compression middleware
/// read those bytes directly, so a request whose handler never reads `head` builds no
/// swift-http-types value (no `String` and no validation per header field).
public struct HTTPServerRequest: Sendable {
    /// Where the head is: as it arrived (built on first read), or a value someone gave.
    /// (@unchecked: `LazyRequestHead` is safe to share, see there; as a `ManagedBuffer` it
    /// cannot say so itself.)
    private enum Source: @unchecked Sendable {
        case arrived(LazyRequestHead)
        case given(HTTPRequest)
    }
    private var source: Source

    /// Method, target, and header fields.
    public var head: HTTPRequest {
        get {
            switch source {
            case .arrived(let lazy): lazy.request
            case .given(let head): head
            }
        }
        set {
            source = .given(newValue)
            headChanged = true
        }
        _modify {
            // Moved out while it is changed, so changing a field does not copy the field list.
            var value = head
            source = .given(Self.placeholder)
            defer {
                source = .given(value)
                headChanged = true
            }
            yield &value
        }
    }
    private static let placeholder = HTTPRequest(method: .get, scheme: nil, authority: nil, path: nil)

    /// `head.method`, read without building the head.
    public var method: HTTPRequest.Method {
        switch source {
        case .arrived(let lazy): lazy.method
        case .given(let head): head.method
        }
    }

    /// `head.path` (the target's path and query), read without building the head.
    public var path: String? {
        switch source {
        case .arrived(let lazy): lazy.path
        case .given(let head): head.path
        }
    }

    /// `head.authority` (Host, or the target's authority), read without building the head.
    public var authority: String? {
        switch source {
        case .arrived(let lazy): lazy.authority
        case .given(let head): head.authority
        }
    }

    /// `head.headerFields[name]` (repeated fields joined as swift-http-types joins them), read
    /// without building the head.
    public func headerValue(_ name: HTTPField.Name) -> String? {
        switch source {
        case .arrived(let lazy):
            let values = lazy.values(name, first: false)
            if values.count < 2 { return values.first }
            return values.joined(separator: name == .cookie ? "; " : ", ")
        case .given(let head):
            return head.headerFields[name]
        }
    }

    /// The value of the first field named `name`, read without building the head or joining
    /// repeated fields.
    public func firstHeaderValue(_ name: HTTPField.Name) -> String? {
        switch source {
        case .arrived(let lazy): lazy.values(name, first: true).first
        case .given(let head): head.headerFields.firstValue(name)
        }
    }

    /// Whether a middleware changed `head` on this request's way (the router then checks whether
    /// the method or path changed; otherwise it trusts the lookup it made on arrival).
    var headChanged = false
    /// The body, read as it arrives; empty for requests without one.
    public let body: HTTPRequestBody
    /// The server address the request came to (a tenant's pool address, say).
    public let localAddress: SocketAddress
    /// The client's address.
    public let remoteAddress: SocketAddress?
    /// The id ``RequestIDMiddleware`` gave the request, read through ``requestID``.
    var assignedRequestID: String?

    /// A request for tests and in-process routing, with a body of ready bytes.
    public init(
        head: HTTPRequest, body: [UInt8] = [], localAddress: SocketAddress,
        remoteAddress: SocketAddress? = nil
    ) {
        self.source = .given(head)
        self.body = body.isEmpty ? .empty : HTTPRequestBody(bytes: body)
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    init(head: HTTPRequest, body: HTTPRequestBody, localAddress: SocketAddress, remoteAddress: SocketAddress?) {
        self.source = .given(head)
        self.body = body
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    /// A request as the server read it: its head built when first read.
    init(arrived head: LazyRequestHead, body: HTTPRequestBody, localAddress: SocketAddress, remoteAddress: SocketAddress?) {
        self.source = .arrived(head)
        self.body = body
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }
}
