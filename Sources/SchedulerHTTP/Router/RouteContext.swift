import HTTPTypes

/// What the router found for a request: its path parameters, decoded.
public struct RouteContext: Sendable {
    /// The parameters' names in the route's order (shared with the route: no copy per request).
    var names: [String] = []
    /// Their decoded values, held inline for up to three.
    var values = SmallList<String>()
    /// What `**` matched (raw, without the leading slash), if the route has one.
    public var catchAll: String?
    /// The route pattern that matched, e.g. `/users/:id` (empty when none did).
    public var route: String
    /// Where the router found the request to go as it arrived (global middleware runs with it).
    var arrival: RouteArrival?

    /// A context with the given parameters.
    public init(parameters: [String: String] = [:], catchAll: String? = nil, route: String = "") {
        self.catchAll = catchAll
        self.route = route
        self.parameters = parameters
    }

    /// A context for `route` without parameters (the router's own, built per request).
    init(route: String) {
        self.route = route
    }

    /// `:name` parameters of the route, percent-decoded, by name.
    public var parameters: [String: String] {
        get {
            var all: [String: String] = [:]
            for index in 0..<values.count { all[names[index]] = values[index] }
            return all
        }
        set {
            let sorted = newValue.sorted { $0.key < $1.key }
            names = sorted.map(\.key)
            values = SmallList()
            for pair in sorted { values.append(pair.value) }
        }
    }

    /// The parameter `name`, or nil.
    public subscript(_ name: String) -> String? {
        // The last of a name wins, as when the parameters were a dictionary filled in order.
        var index = values.count - 1
        while index >= 0 {
            if names[index] == name { return values[index] }
            index -= 1
        }
        return nil
    }
}

/// The router's lookup of a request as it arrived, so the dispatch after the global middleware
/// need not repeat it (it does when a middleware changed the method or path).
struct RouteArrival: Sendable {
    let method: HTTPRequest.Method
    let path: String?
    let lookup: HTTPRouter.Lookup

    /// Whether `request` still has the method and path it arrived with (read again only when a
    /// middleware changed its head).
    func matches(_ request: HTTPServerRequest) -> Bool {
        !request.headChanged || (method == request.method && path == request.path)
    }
}
