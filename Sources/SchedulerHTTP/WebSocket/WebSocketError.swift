/// Why a WebSocket failed: a protocol violation by the peer (answered with a close frame of
/// ``code``), a handshake refused, or the connection lost.
public struct WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The close code this failure was (or would be) answered with.
    public let code: WebSocketCloseCode
    /// What went wrong, in words.
    public let reason: String

    /// An error with a close code and a reason.
    public init(_ code: WebSocketCloseCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The code and the reason.
    public var description: String { "WebSocket \(code): \(reason)" }

    static func protocolError(_ reason: String) -> WebSocketError { WebSocketError(.protocolError, reason) }
}
