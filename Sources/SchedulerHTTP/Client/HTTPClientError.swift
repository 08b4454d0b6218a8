public import SchedulerEngine

/// Which of the client's timeouts ran out.
public enum HTTPClientTimeout: String, Sendable, Equatable, Hashable {
    /// The TCP connect took longer than ``HTTPClient/Configuration/connectTimeout``.
    case connect
    /// No byte came (or could be sent) for ``HTTPClient/Configuration/readTimeout``.
    case read
    /// The whole exchange, redirects and body included, passed its deadline.
    case total
}

/// Why a request failed: thrown by ``HTTPClient`` and by a response body while it is read.
public enum HTTPClientError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The URL could not be read (the text says what was wrong).
    case invalidURL(String)
    /// A scheme this client does not speak: `https` (no TLS yet) or anything but `http`.
    case unsupportedScheme(String)
    /// The request cannot be sent as it is (a target or authority with bytes HTTP forbids, ...).
    case invalidRequest(String)
    /// Nothing listens at the address (ECONNREFUSED).
    case connectionRefused(address: String)
    /// The connect failed for another reason (the engine's error, with its errno).
    case connectFailed(EngineError)
    /// One of the timeouts ran out.
    case timedOut(HTTPClientTimeout)
    /// The server closed or reset the connection before the response was complete.
    case connectionReset(String)
    /// The response broke HTTP/1.1: what and at which byte of the connection's input.
    case malformedResponse(HTTPParseError)
    /// The response body is larger than the limit.
    case responseTooLarge(limit: Int)
    /// More redirects than allowed were met.
    case tooManyRedirects(Int)
    /// The source binding no longer belongs to its tenant.
    case bindingReleased(String)
    /// The calling task was cancelled.
    case cancelled
    /// A `gzip` body could not be decoded, or decoded past the size limit.
    case decompressionFailed(String)
    /// The client was shut down.
    case shutDown

    /// One line, e.g. `timed out (read)`.
    public var description: String {
        switch self {
        case .invalidURL(let text): "invalid URL: \(text)"
        case .unsupportedScheme(let scheme):
            scheme == "https" ? "https:// is not supported yet (no TLS)" : "unsupported URL scheme '\(scheme)'"
        case .invalidRequest(let text): "invalid request: \(text)"
        case .connectionRefused(let address): "connection refused by \(address)"
        case .connectFailed(let error): "connect failed: \(error)"
        case .timedOut(let which): "timed out (\(which.rawValue) timeout)"
        case .connectionReset(let text): "connection reset: \(text)"
        case .malformedResponse(let error): "malformed response: \(error)"
        case .responseTooLarge(let limit): "response body larger than \(limit) bytes"
        case .tooManyRedirects(let count): "too many redirects (\(count))"
        case .bindingReleased(let text): "source binding released: \(text)"
        case .cancelled: "request cancelled"
        case .decompressionFailed(let text): "gzip decoding failed: \(text)"
        case .shutDown: "the client is shut down"
        }
    }
}
