/// An IPv4 or IPv6 address, parsed as strictly as Python's `ipaddress` and printed as RFC 5952 text.
///
/// Zone identifiers (`fe80::1%eth0`) are not accepted: a zone is a property of an interface,
/// not of the address a pool hands out.
public struct IPAddress: Sendable, Hashable {
    // Two 64-bit halves rather than one UInt128: 8-byte alignment makes the address 24 bytes in
    // arrays and dictionaries instead of 32, which a pool holding millions of them notices.
    let high: UInt64
    let low: UInt64
    /// The address family, `.ipv4` or `.ipv6`.
    public let family: AddressFamily

    /// An IPv4 address from its 32-bit value in host byte order (`0x7F00_0001` is 127.0.0.1).
    public init(ipv4 value: UInt32) {
        self.init(family: .ipv4, bits: UInt128(value))
    }

    /// An IPv6 address from its 128-bit value in host byte order (the most significant byte is the first on the wire).
    public init(ipv6 value: UInt128) {
        self.init(family: .ipv6, bits: value)
    }

    /// An address of `family` from an integer value (truncated to 32 bits for IPv4).
    init(family: AddressFamily, bits: UInt128) {
        self.family = family
        high = family == .ipv4 ? 0 : UInt64(truncatingIfNeeded: bits >> 64)
        low = family == .ipv4 ? UInt64(truncatingIfNeeded: bits) & 0xFFFF_FFFF : UInt64(truncatingIfNeeded: bits)
    }

    /// The address as an integer in host byte order; only the low 32 bits are used for IPv4.
    var bits: UInt128 { UInt128(high) << 64 | UInt128(low) }

    /// The 32-bit value in host byte order, or `nil` for an IPv6 address.
    public var ipv4Value: UInt32? {
        family == .ipv4 ? UInt32(truncatingIfNeeded: bits) : nil
    }

    /// The 128-bit value in host byte order, or `nil` for an IPv4 address.
    public var ipv6Value: UInt128? {
        family == .ipv6 ? bits : nil
    }

    /// True for 127.0.0.0/8 and for `::1`.
    public var isLoopback: Bool {
        switch family {
        case .ipv4: return bits >> 24 == 127
        case .ipv6: return bits == 1
        }
    }

    /// True for `0.0.0.0` and `::`.
    public var isUnspecified: Bool { bits == 0 }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        let count = family == .ipv4 ? 4 : 16
        var result = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            result[index] = UInt8(truncatingIfNeeded: bits >> UInt128(8 * (count - 1 - index)))
        }
        return result
    }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes in network byte order; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        for byte in bytes { value = value << 8 | UInt128(byte) }
        self.init(family: bytes.count == 4 ? .ipv4 : .ipv6, bits: value)
    }
}

extension IPAddress: Comparable {
    /// Orders every IPv4 address before every IPv6 address, then by numeric value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .ipv4 }
        return lhs.bits < rhs.bits
    }
}

extension IPAddress: LosslessStringConvertible {
    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text; `nil` for anything else
    /// (`init(parsing:)` says why).
    public init?(_ text: String) {
        guard let address = IPAddress(utf8: Array(text.utf8)[...]) else { return nil }
        self = address
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text; throws what is wrong with anything else.
    public init(parsing text: String) throws(AddressParseError) {
        let utf8 = Array(text.utf8)[...]
        guard let address = IPAddress(utf8: utf8) else {
            throw AddressParseError(text: text, reason: AddressText.diagnoseAddress(utf8))
        }
        self = address
    }

    /// The address `utf8` spells, or `nil`.
    init?(utf8: ArraySlice<UInt8>) {
        if let value = AddressText.parseIPv4(utf8) {
            self.init(ipv4: value)
        } else if let value = AddressText.parseIPv6(utf8) {
            self.init(ipv6: value)
        } else {
            return nil
        }
    }

    /// Dotted-quad text for IPv4, RFC 5952 canonical text for IPv6.
    public var description: String {
        switch family {
        case .ipv4: return AddressText.formatIPv4(UInt32(truncatingIfNeeded: bits))
        case .ipv6: return AddressText.formatIPv6(bits)
        }
    }
}
