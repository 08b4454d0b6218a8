/// Why text is not an IP address or a CIDR network: what `IPAddress(parsing:)` and
/// `IPNetwork(parsing:)` throw.
public struct AddressParseError: Error, Sendable, Hashable {
    /// The whole text that was refused.
    public let text: String
    /// What is wrong with it.
    public let reason: Reason

    /// What is wrong with a text.
    public enum Reason: Sendable, Hashable {
        /// The text is empty.
        case empty
        /// The text starts or ends with white space.
        case surroundingWhitespace
        /// The address has a zone identifier (`fe80::1%eth0`), which pools do not take.
        case zoneIdentifier
        /// Dotted IPv4 text with other than four parts; the count found.
        case ipv4PartCount(Int)
        /// An IPv4 part is empty (`1..2.3`).
        case emptyIPv4Part
        /// An IPv4 part is a number above 255.
        case ipv4PartOutOfRange(String)
        /// An IPv4 part has a leading zero (`01`), which some parsers read as octal.
        case ipv4PartLeadingZero(String)
        /// An IPv4 part holds something other than decimal digits.
        case ipv4PartNotDecimal(String)
        /// Text with a `:` that is not RFC 4291 IPv6 text.
        case malformedIPv6
        /// Neither an IPv4 nor an IPv6 address.
        case notAnAddress
        /// Nothing after the `/`.
        case missingPrefix
        /// The prefix is not a decimal number.
        case prefixNotANumber(String)
        /// The prefix is larger than the family's width (32 or 128).
        case prefixTooLong(String, family: AddressFamily)
        /// The address has bits set past the prefix; `suggestion` is the network it lies in.
        case hostBitsSet(suggestion: IPNetwork)
    }

    /// An error for `text`.
    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }
}

extension AddressParseError: CustomStringConvertible {
    /// The text in quotes and the reason: `"10.1.2.3/16": host bits set; did you mean 10.1.0.0/16?`.
    public var description: String {
        "\"" + text + "\": " + reason.description
    }
}

extension AddressParseError.Reason: CustomStringConvertible {
    /// The reason as a phrase.
    public var description: String {
        switch self {
        case .empty:
            return "empty text; expected an address such as 10.0.0.1 or a network such as 10.0.0.0/16"
        case .surroundingWhitespace:
            return "white space before or after the text"
        case .zoneIdentifier:
            return "zone identifiers (%name) are not accepted"
        case .ipv4PartCount(let count):
            return "an IPv4 address has 4 dot-separated parts, found " + AddressText.decimal(UInt64(count))
        case .emptyIPv4Part:
            return "an IPv4 part is empty"
        case .ipv4PartOutOfRange(let part):
            return "IPv4 part " + part + " is out of range 0...255"
        case .ipv4PartLeadingZero(let part):
            return "IPv4 part " + part + " has a leading zero"
        case .ipv4PartNotDecimal(let part):
            return "IPv4 part \"" + part + "\" is not a decimal number"
        case .malformedIPv6:
            return "not IPv6 text (RFC 4291: up to 8 hex groups of 1 to 4 digits, at most one ::)"
        case .notAnAddress:
            return "not an IPv4 or IPv6 address"
        case .missingPrefix:
            return "no prefix length after /"
        case .prefixNotANumber(let prefix):
            return "prefix length \"" + prefix + "\" is not a decimal number"
        case .prefixTooLong(let prefix, let family):
            let width = AddressText.decimal(UInt64(family.bitWidth))
            return "prefix length /" + prefix + " is too long for " + family.description + " (at most /" + width + ")"
        case .hostBitsSet(let suggestion):
            return "host bits set; did you mean " + suggestion.description + "?"
        }
    }
}

extension AddressText {
    /// Why `text`, which `parseIPv4` and `parseIPv6` both refused, is not an address.
    static func diagnoseAddress(_ text: ArraySlice<UInt8>) -> AddressParseError.Reason {
        guard let first = text.first, let last = text.last else { return .empty }
        if isWhitespace(first) || isWhitespace(last) { return .surroundingWhitespace }
        if text.contains(UInt8(ascii: "%")) { return .zoneIdentifier }
        if text.contains(UInt8(ascii: ":")) { return .malformedIPv6 }
        guard text.contains(UInt8(ascii: ".")) || text.allSatisfy({ decimalDigit($0) != nil }) else {
            return .notAnAddress
        }
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for part in parts {
            let partText = String(decoding: part, as: UTF8.self)
            if part.isEmpty { return .emptyIPv4Part }
            guard part.allSatisfy({ decimalDigit($0) != nil }) else { return .ipv4PartNotDecimal(partText) }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return .ipv4PartLeadingZero(partText) }
            if part.count > 3 || parseDecimal(part, limit: 255) == nil { return .ipv4PartOutOfRange(partText) }
        }
        return parts.count != 4 ? .ipv4PartCount(parts.count) : .notAnAddress
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 9 && byte <= 13)
    }
}
