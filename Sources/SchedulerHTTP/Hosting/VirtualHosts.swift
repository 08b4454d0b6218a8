public import SchedulerPool

/// Answers each request with the responder of the site it is for: by `Host` name (virtual
/// hosts on one address), or by the local address it came to (one tenant per pool address).
///
/// A `Host` match wins over an address match; a request for neither gets `fallback`, or 404.
///
/// ```swift
/// var sites = VirtualHosts()
/// sites.add(host: "a.example", siteA)
/// sites.add(address: tenantB.ip, siteB)
/// let server = HTTPServer(responder: sites)
/// ```
public struct VirtualHosts: HTTPResponder {
    private var byHost: [String: any HTTPResponder] = [:]
    private var byAddress: [IPAddress: any HTTPResponder] = [:]
    /// What answers requests for no known site (nil: 404).
    public var fallback: (any HTTPResponder)?

    /// No sites yet; `fallback` answers everything until some are added.
    public init(fallback: (any HTTPResponder)? = nil) {
        self.fallback = fallback
    }

    /// Serves `responder` for requests whose `Host` is `host` (any port, any case).
    public mutating func add(host: String, _ responder: some HTTPResponder) {
        byHost[host.lowercased()] = responder
    }

    /// Serves `responder` for requests that came to local address `address`.
    public mutating func add(address: IPAddress, _ responder: some HTTPResponder) {
        byAddress[address] = responder
    }

    /// Hands the request to its site's responder.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        guard let site = site(for: request) else { return .status(.notFound, "no site for this host") }
        return try await site.respond(to: request)
    }

    /// The site's synchronous answer, when it has one.
    public func respondSynchronously(to request: HTTPServerRequest) throws -> HTTPServerResponse? {
        guard let site = site(for: request) else { return .status(.notFound, "no site for this host") }
        return try site.respondSynchronously(to: request)
    }

    /// The site `request` is for: by `Host`, else by local address, else the fallback.
    private func site(for request: HTTPServerRequest) -> (any HTTPResponder)? {
        if !byHost.isEmpty, let authority = request.authority, let site = byHost[Self.hostName(authority)] {
            return site
        }
        return byAddress[request.localAddress.ip] ?? fallback
    }

    /// `Host` without its port, lowercased (`[::1]:80` gives `[::1]`).
    static func hostName(_ authority: String) -> String {
        var name = Substring(authority)
        if name.hasPrefix("[") {
            if let close = name.firstIndex(of: "]") { name = name[...close] }
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        return name.lowercased()
    }
}
