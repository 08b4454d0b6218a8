/// The two Internet Protocol versions an address, a network or a socket belongs to.
public enum AddressFamily: Sendable, Hashable {
    /// IPv4: 32-bit addresses.
    case ipv4
    /// IPv6: 128-bit addresses.
    case ipv6

    /// The number of bits in an address of this family (32 or 128).
    public var bitWidth: Int {
        switch self {
        case .ipv4: return 32
        case .ipv6: return 128
        }
    }
}

extension AddressFamily: CustomStringConvertible {
    /// `"IPv4"` or `"IPv6"`.
    public var description: String {
        switch self {
        case .ipv4: return "IPv4"
        case .ipv6: return "IPv6"
        }
    }
}
