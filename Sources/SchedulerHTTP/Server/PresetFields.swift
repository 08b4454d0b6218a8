import HTTPTypes

/// The server's ready-made field lists (`.text`, JSON, bytes responses) with their wire form:
/// a response that still holds one is written with one copy of these bytes instead of a walk
/// over its fields (and is known to hold no `Connection` field).
enum PresetFields: UInt8, Sendable {
    case plainText
    case json
    case octetStream

    /// The fields as a value.
    var fields: HTTPFields {
        switch self {
        case .plainText: HTTPFields.plainTextOnly
        case .json: HTTPFields.jsonOnly
        case .octetStream: HTTPFields.octetStreamOnly
        }
    }

    /// The fields' lines as they go on the wire.
    var encoded: StaticString {
        switch self {
        case .plainText: "Content-Type: text/plain; charset=utf-8\r\n"
        case .json: "Content-Type: application/json\r\n"
        case .octetStream: "Content-Type: application/octet-stream\r\n"
        }
    }
}
