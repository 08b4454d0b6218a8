import HTTPTypes

/// What the router found for a request: its path parameters, decoded.
public struct RouteContext: Sendable {
    /// `:name` parameters of the route, percent-decoded, by name.
    public var parameters: [String: String]
    /// What `**` matched (raw, without the leading slash), if the route has one.
    public var catchAll: String?
    /// The route pattern that matched, e.g. `/users/:id` (empty when none did).
    public var route: String
    /// Where the router found the request to go as it arrived (global middleware runs with it).
    var arrival: RouteArrival?

    /// A context with the given parameters.
    public init(parameters: [String: String] = [:], catchAll: String? = nil, route: String = "") {
        self.parameters = parameters
        self.catchAll = catchAll
        self.route = route
    }

    /// The parameter `name`, or nil.
    public subscript(_ name: String) -> String? { parameters[name] }
}

/// The router's lookup of a request as it arrived, so the dispatch after the global middleware
/// need not repeat it (it does when a middleware changed the method or path).
struct RouteArrival: Sendable {
    let method: HTTPRequest.Method
    let path: String?
    let lookup: HTTPRouter.Lookup
    /// Whether the context's parameters are the matched route's, decoded.
    let decoded: Bool
}
