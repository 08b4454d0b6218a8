public import HTTPTypes

/// A response from ``HTTPClient``: the final head (1xx heads are skipped) and a body read from
/// the connection only as it is asked for.
public struct HTTPClientResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse
    /// The protocol version the server answered with.
    public var version: HTTPVersion
    /// The URL that answered (after redirects).
    public var url: HTTPClientURL
    /// The body, an `AsyncSequence` of byte chunks; reading it to the end frees the connection.
    public let body: HTTPClientResponseBody

    /// The status.
    public var status: HTTPResponse.Status { head.status }
}
