/// A CIDR block such as `10.0.0.0/16` or `2001:db8::/32`.
///
/// Text with host bits set (`10.0.0.1/16`) is rejected, as Python's `ipaddress.ip_network` does
/// by default: a range written that way is most often a typo, and silently widening or
/// narrowing it would hand out addresses the operator did not mean. Text without a prefix
/// (`10.0.0.1`) is the single-address network (/32 or /128). Netmask notation
/// (`/255.255.0.0`) and zone identifiers are not accepted.
public struct IPNetwork: Sendable, Hashable {
    /// The first address of the network (all host bits zero).
    public let address: IPAddress
    /// The number of leading bits that are fixed: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// A network from its first address and prefix; `nil` if the prefix is out of range or host bits are set.
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.family.bitWidth else { return nil }
        self.address = address
        self.prefixLength = prefixLength
        guard address.bits & hostMask == 0 else { return nil }
    }

    /// The address family of the network.
    public var family: AddressFamily { address.family }

    /// The number of host bits (`bitWidth - prefixLength`).
    public var hostBits: Int { family.bitWidth - prefixLength }

    /// The number of addresses in the network, exact for every prefix (2^128 for `::/0`).
    public var count: AddressCount { AddressCount.powerOfTwo(hostBits) }

    /// The last address of the network (all host bits one; the IPv4 broadcast address).
    public var lastAddress: IPAddress { IPAddress(family: family, bits: address.bits | hostMask) }

    /// True when `ip` has the same family and lies inside the network.
    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && ip.bits & ~hostMask == address.bits
    }

    /// True when the two networks share at least one address.
    public func overlaps(_ other: IPNetwork) -> Bool {
        contains(other.address) || other.contains(address)
    }

    /// The mask of the host bits, within the family's width.
    var hostMask: UInt128 {
        hostBits == 128 ? UInt128.max : (UInt128(1) << UInt128(hostBits)) - 1
    }
}

extension IPNetwork: LosslessStringConvertible {
    /// Parses `address/prefix` (decimal prefix) or a bare address; `nil` for bad text or host
    /// bits set (`init(parsing:)` says why).
    public init?(_ text: String) {
        guard let network = try? IPNetwork(parsing: text) else { return nil }
        self = network
    }

    /// Parses `address/prefix` (decimal prefix) or a bare address; throws what is wrong:
    /// an empty text, a bad address, a prefix that is not a number or too long for the family,
    /// or host bits set (with the network the address lies in as a suggestion).
    public init(parsing text: String) throws(AddressParseError) {
        let utf8 = Array(text.utf8)
        let slash = utf8.firstIndex(of: UInt8(ascii: "/"))
        let addressPart = utf8[..<(slash ?? utf8.endIndex)]
        guard let ip = IPAddress(utf8: addressPart) else {
            let reason = utf8.isEmpty ? .empty : AddressText.diagnoseAddress(addressPart)
            throw AddressParseError(text: text, reason: reason)
        }
        var prefix = ip.family.bitWidth
        if let slash {
            let prefixPart = utf8[(slash + 1)...]
            guard !prefixPart.isEmpty else { throw AddressParseError(text: text, reason: .missingPrefix) }
            let prefixText = String(decoding: prefixPart, as: UTF8.self)
            guard prefixPart.allSatisfy({ AddressText.decimalDigit($0) != nil }) else {
                throw AddressParseError(text: text, reason: .prefixNotANumber(prefixText))
            }
            guard let value = AddressText.parseDecimal(prefixPart, limit: UInt64(ip.family.bitWidth)) else {
                throw AddressParseError(text: text, reason: .prefixTooLong(prefixText, family: ip.family))
            }
            prefix = Int(value)
        }
        guard let network = IPNetwork(address: ip, prefixLength: prefix) else {
            let mask = prefix == 0 ? 0 : UInt128.max << UInt128(ip.family.bitWidth - prefix)
            let first = IPAddress(family: ip.family, bits: ip.bits & mask)
            // The masked address has no host bits: this network always exists.
            let suggestion = IPNetwork(address: first, prefixLength: prefix)!
            throw AddressParseError(text: text, reason: .hostBitsSet(suggestion: suggestion))
        }
        self = network
    }

    /// `address/prefix`, with RFC 5952 text for IPv6.
    public var description: String {
        address.description + "/" + AddressText.decimal(UInt64(prefixLength))
    }
}
