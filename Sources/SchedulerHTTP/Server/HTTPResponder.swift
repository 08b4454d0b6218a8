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
}

/// An ``HTTPResponder`` made from a closure.
public struct HTTPClosureResponder: HTTPResponder {
    let body: @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse) {
        self.body = body
    }

    /// Calls the closure.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        try await body(request)
    }
}

/// A request as a handler sees it: the head, the body as a stream, and where it came in.
public struct HTTPServerRequest: Sendable {
    /// Method, target, and header fields.
    public var head: HTTPRequest {
        didSet { headChanged = true }
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
        self.head = head
        self.body = body.isEmpty ? .empty : HTTPRequestBody(bytes: body)
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    init(head: HTTPRequest, body: HTTPRequestBody, localAddress: SocketAddress, remoteAddress: SocketAddress?) {
        self.head = head
        self.body = body
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }
}
