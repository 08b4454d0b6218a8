/// An IP address and a port: what a socket binds to, connects to, or receives from.
public struct SocketAddress: Sendable, Hashable {
    /// The address.
    public let ip: IPAddress
    /// The port, in host byte order.
    public let port: UInt16

    /// A socket address from a parsed address and a port.
    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// A socket address from address text (`"192.168.1.1"`, `"::1"`, no brackets) and a port;
    /// throws `IPPoolError.malformedAddress` naming the text when it is not an address.
    public init(host: String, port: UInt16) throws(IPPoolError) {
        guard let ip = IPAddress(host) else { throw IPPoolError.malformedAddress(host) }
        self.init(ip: ip, port: port)
    }

    /// The address as text (RFC 5952 for IPv6, without brackets).
    public var host: String { ip.description }

    /// The address family of the address.
    public var family: AddressFamily { ip.family }
}

extension SocketAddress: LosslessStringConvertible {
    /// Parses `"127.0.0.1:80"` or `"[::1]:80"`; `nil` for anything else.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard let colon = utf8.lastIndex(of: UInt8(ascii: ":")),
            let port = AddressText.parseDecimal(utf8[(colon + 1)...], limit: UInt64(UInt16.max))
        else { return nil }
        var hostBytes = utf8[..<colon]
        let bracketed = hostBytes.first == UInt8(ascii: "[")
        if bracketed {
            guard hostBytes.count >= 2, hostBytes.last == UInt8(ascii: "]") else { return nil }
            hostBytes = hostBytes.dropFirst().dropLast()
        }
        guard let ip = IPAddress(String(decoding: hostBytes, as: UTF8.self)),
            bracketed == (ip.family == .ipv6)
        else { return nil }
        self.init(ip: ip, port: UInt16(port))
    }

    /// `"127.0.0.1:80"` for IPv4, `"[::1]:80"` for IPv6.
    public var description: String {
        let port = AddressText.decimal(UInt64(port))
        switch ip.family {
        case .ipv4: return ip.description + ":" + port
        case .ipv6: return "[" + ip.description + "]:" + port
        }
    }
}
