import Testing

@testable import SchedulerPool

/// `IPAddress(parsing:)` and `IPNetwork(parsing:)` say what is wrong, one reason per mistake,
/// and `addCIDRRange` passes that reason on.
@Suite("Parse errors", .timeLimit(.minutes(2)))
struct ParseErrorTests {
    @Test(arguments: [
        (
            "10.0.0.0/33", AddressParseError.Reason.prefixTooLong("33", family: .ipv4),
            "\"10.0.0.0/33\": prefix length /33 is too long for IPv4 (at most /32)"
        ),
        (
            "2001:db8::/129", .prefixTooLong("129", family: .ipv6),
            "\"2001:db8::/129\": prefix length /129 is too long for IPv6 (at most /128)"
        ),
        ("", .empty, "\"\": empty text; expected an address such as 10.0.0.1 or a network such as 10.0.0.0/16"),
        ("10.1.0.0/-1", .prefixNotANumber("-1"), "\"10.1.0.0/-1\": prefix length \"-1\" is not a decimal number"),
        ("10.1.0.0/", .missingPrefix, "\"10.1.0.0/\": no prefix length after /"),
        (
            "10.1.2.3/16", .hostBitsSet(suggestion: IPNetwork("10.1.0.0/16")!),
            "\"10.1.2.3/16\": host bits set; did you mean 10.1.0.0/16?"
        ),
        (
            "2001:db8::1/32", .hostBitsSet(suggestion: IPNetwork("2001:db8::/32")!),
            "\"2001:db8::1/32\": host bits set; did you mean 2001:db8::/32?"
        ),
        (
            "10.1.2.3/0", .hostBitsSet(suggestion: IPNetwork("0.0.0.0/0")!),
            "\"10.1.2.3/0\": host bits set; did you mean 0.0.0.0/0?"
        ),
        ("10.0.0/8", .ipv4PartCount(3), "\"10.0.0/8\": an IPv4 address has 4 dot-separated parts, found 3"),
        ("10.256.0.0/16", .ipv4PartOutOfRange("256"), "\"10.256.0.0/16\": IPv4 part 256 is out of range 0...255"),
        ("10.01.0.0/16", .ipv4PartLeadingZero("01"), "\"10.01.0.0/16\": IPv4 part 01 has a leading zero"),
        ("10..0.0/16", .emptyIPv4Part, "\"10..0.0/16\": an IPv4 part is empty"),
        (
            "1::2::3/64", .malformedIPv6,
            "\"1::2::3/64\": not IPv6 text (RFC 4291: up to 8 hex groups of 1 to 4 digits, at most one ::)"
        ),
        ("fe80::1%eth0", .zoneIdentifier, "\"fe80::1%eth0\": zone identifiers (%name) are not accepted"),
        (" 10.0.0.0/8", .surroundingWhitespace, "\" 10.0.0.0/8\": white space before or after the text"),
        ("nonsense/8", .notAnAddress, "\"nonsense/8\": not an IPv4 or IPv6 address"),
    ])
    func networkReasons(text: String, reason: AddressParseError.Reason, message: String) {
        #expect(throws: AddressParseError(text: text, reason: reason)) { try IPNetwork(parsing: text) }
        #expect(IPNetwork(text) == nil)
        do {
            _ = try IPNetwork(parsing: text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func goodTextParsesAsTheFailableInitialiserDoes() throws {
        for text in ["10.0.0.0/8", "10.0.0.1", "2001:db8::/32", "::/0", "0.0.0.0/0", "10.0.0.0/008"] {
            #expect(try IPNetwork(parsing: text) == IPNetwork(text))
        }
        #expect(try IPAddress(parsing: "2001:db8::1") == IPAddress("2001:db8::1"))
    }

    @Test func addressReasons() {
        #expect(throws: AddressParseError(text: "", reason: .empty)) { try IPAddress(parsing: "") }
        #expect(throws: AddressParseError(text: "1.2.3.4.5", reason: .ipv4PartCount(5))) {
            try IPAddress(parsing: "1.2.3.4.5")
        }
        #expect(throws: AddressParseError(text: "1.2.3.x", reason: .ipv4PartNotDecimal("x"))) {
            try IPAddress(parsing: "1.2.3.x")
        }
        #expect(throws: AddressParseError(text: "10.0.0.0/8", reason: .ipv4PartNotDecimal("0/8"))) {
            try IPAddress(parsing: "10.0.0.0/8")
        }
    }

    @Test func addCIDRRangeCarriesTheReason() {
        let pool = IPPool(name: "reasons")
        #expect(
            throws: IPPoolError.malformedRange(
                AddressParseError(text: "10.0.0.0/33", reason: .prefixTooLong("33", family: .ipv4)))
        ) {
            try pool.addCIDRRange("10.0.0.0/33")
        }
        do {
            try pool.addCIDRRange("10.1.2.3/16")
            Issue.record("host bits set were accepted")
        } catch {
            #expect(error.description == "malformed range \"10.1.2.3/16\": host bits set; did you mean 10.1.0.0/16?")
        }
        #expect(pool.ranges.isEmpty)
    }
}
