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
    ///
    /// The scan runs on UTF-8 bytes: every delimiter is ASCII, and Character-level searches (or
    /// Foundation's `contains`, which a string literal argument would pick) cost more than the
    /// rest of sending a request.
    public init(_ text: String) throws(HTTPClientError) {
        let bytes = text.utf8
        // A scheme holds no ':', so the first one must start "://".
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8) else {
            throw .invalidURL("no scheme in '\(text)'")
        }
        let schemeBytes = bytes[..<colon]
        guard schemeBytes.elementsEqual("http".utf8, by: { $0 | 0x20 == $1 }) else {
            throw .unsupportedScheme(text[..<colon].lowercased())
        }
        let restStart = bytes.index(colon, offsetBy: 3)
        let authorityEnd =
            bytes[restStart...].firstIndex(where: {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
            }) ?? bytes.endIndex
        let authority = text[restStart..<authorityEnd]
        let targetEnd = bytes[authorityEnd...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        var target = String(text[authorityEnd..<targetEnd])
        if target.isEmpty || target.utf8.first == UInt8(ascii: "?") { target = "/" + target }
        let authorityBytes = authority.utf8
        guard !authorityBytes.contains(UInt8(ascii: "@")) else { throw .invalidURL("user information is not supported") }
        var host = authority
        var port: UInt16 = 80
        if authorityBytes.first == UInt8(ascii: "[") {
            guard let close = authorityBytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw .invalidURL("unclosed '[' in host")
            }
            host = authority[authorityBytes.index(after: authorityBytes.startIndex)..<close]
            let after = authority[authorityBytes.index(after: close)...]
            if !after.isEmpty {
                guard after.utf8.first == UInt8(ascii: ":"), let value = UInt16(after.dropFirst()) else {
                    throw .invalidURL("bad port in '\(authority)'")
                }
                port = value
            }
        } else if let colon = authorityBytes.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            guard let value = UInt16(authority[authorityBytes.index(after: colon)...]) else {
                throw .invalidURL("bad port in '\(authority)'")
            }
            port = value
        }
        guard !host.isEmpty else { throw .invalidURL("no host in '\(text)'") }
        self.scheme = "http"
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
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
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
