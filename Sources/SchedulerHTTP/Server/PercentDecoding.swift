/// Percent-decoding of URI path segments and query parts (RFC 3986 §2.1).
public enum PercentDecoding {
    /// `text` with each `%XX` replaced by its byte; nil for a malformed escape or a result that
    /// is not UTF-8.
    public static func decode(_ text: String) -> String? {
        // Most path segments have no escape: the text is already the answer.
        if !text.utf8.contains(UInt8(ascii: "%")) { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// ``decode(_:)`` of a path segment's UTF-8 bytes: a segment without `%` becomes its `String`
    /// straight away.
    static func decode(segment: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: segment, as: UTF8.self)
        return segment.contains(UInt8(ascii: "%")) ? decode(text) : text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
