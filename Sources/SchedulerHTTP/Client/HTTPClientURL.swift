import SchedulerPool

/// The parts of an `http://` URL the client needs: host, port and the origin-form target.
public struct HTTPClientURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` (the only scheme spoken; `https` is recognised to be refused clearly).
    public var scheme: String
    /// The host as written, without brackets for IPv6.
    public var host: String
    /// The port (80 when the URL names none).
    public var port: UInt16
    /// Path and query, starting with `/`.
    public var target: String

    /// Parses `text` (`http://host[:port][/path][?query]`); throws `invalidURL` or `unsupportedScheme`.
    public init(_ text: String) throws(HTTPClientError) {
        // A scheme holds no ':', so the first one must start "://" (no Foundation search needed).
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw .invalidURL("no scheme in '\(text)'")
        }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" else { throw .unsupportedScheme(scheme) }
        let rest = text[text.utf8.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if target.isEmpty || target.first == "?" { target = "/" + target }
        guard !authority.contains("@") else { throw .invalidURL("user information is not supported") }
        var host = Substring(authority)
        var port: UInt16 = 80
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unclosed '[' in host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let value = UInt16(after.dropFirst()) else {
                    throw .invalidURL("bad port in '\(authority)'")
                }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = UInt16(authority[authority.index(after: colon)...]) else {
                throw .invalidURL("bad port in '\(authority)'")
            }
            port = value
        }
        guard !host.isEmpty else { throw .invalidURL("no host in '\(text)'") }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The URL of `location` (absolute, or relative to this one), for a redirect.
    public func resolving(_ location: String) throws(HTTPClientError) -> HTTPClientURL {
        if location.contains("://") { return try HTTPClientURL(location) }
        if location.hasPrefix("//") { return try HTTPClientURL(scheme + ":" + location) }
        var copy = self
        if location.hasPrefix("/") {
            copy.target = location
        } else if location.hasPrefix("?") {
            copy.target = String(target.prefix(while: { $0 != "?" })) + location
        } else {
            let path = target.prefix(while: { $0 != "?" })
            let directory = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
            copy.target = String(directory) + location
        }
        return copy
    }

    /// The Host field: the host (bracketed for IPv6) and the port unless it is 80.
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// `http://authority/target`.
    public var description: String { "\(scheme)://\(authority)\(target)" }

    /// The server's socket address: an IP literal, or `localhost` as 127.0.0.1 (no DNS lookups).
    func socketAddress() throws(HTTPClientError) -> SocketAddress {
        if host.lowercased() == "localhost" { return SocketAddress(ip: IPAddress("127.0.0.1")!, port: port) }
        guard let ip = IPAddress(host) else {
            throw .invalidURL("'\(host)' is not an IP address (this client does not resolve names, only localhost)")
        }
        return SocketAddress(ip: ip, port: port)
    }
}
