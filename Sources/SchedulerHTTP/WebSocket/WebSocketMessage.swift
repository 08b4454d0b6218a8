/// A complete WebSocket data message.
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message (checked to be UTF-8).
    case text(String)
    /// A binary message.
    case binary([UInt8])

    /// The payload bytes (UTF-8 for text).
    public var bytes: [UInt8] {
        switch self {
        case .text(let text): Array(text.utf8)
        case .binary(let bytes): bytes
        }
    }
}
