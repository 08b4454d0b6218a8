import Foundation

/// Encodes `Encodable` values as compact JSON bytes with sorted keys, byte for byte what Foundation's
/// `JSONEncoder` writes with `[.sortedKeys, .withoutEscapingSlashes]`, without building a tree first.
///
/// Values are written as they are encoded; an object's members are reordered only when they were
/// not encoded in key order. Uses of the `Encoder` protocol that cannot be written in one pass (a
/// nested container written after its parent went on, `superEncoder`, keys that need escaping) and
/// every error (a non-finite number, a top-level value that encoded nothing) are handed to
/// `JSONEncoder`, so the result or the error is always the one `JSONEncoder` gives; the value's
/// `encode(to:)` then runs twice.
public struct JSONBytesEncoder: Sendable {
    /// An encoder; it holds no state between calls.
    public init() {}

    /// `value` as JSON.
    public func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        if let bytes = JSONBytesEncoder.onePass(value) { return bytes }
        return Array(try JSONBytesEncoder.foundation.encode(value))
    }

    /// `value` written in one pass, or nil when it has to be handed to `JSONEncoder`.
    static func onePass<Value: Encodable>(_ value: Value) -> [UInt8]? {
        let writer = JSONStreamEncoder.take()
        defer { writer.giveBack() }
        return writer.encodeTopLevel(value) ? Array(writer.bytes) : nil
    }

    /// The `JSONEncoder` with the same output format, for what the one-pass writer hands on.
    private static var foundation: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
