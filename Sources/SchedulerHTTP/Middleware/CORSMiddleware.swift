public import HTTPTypes

/// Cross-origin resource sharing: answers preflights (OPTIONS with
/// `Access-Control-Request-Method`) itself, without calling `next`, and adds the
/// `Access-Control-Allow-*` fields to the answers to requests from allowed origins.
///
/// An origin that is not allowed gets its answer without those fields (so the browser refuses
/// it); a preflight from one gets 204 without them. `Vary: Origin` is added whenever the answer
/// depends on the origin (a list of origins, or credentials).
public struct CORSMiddleware: HTTPSynchronousMiddleware {
    /// Which origins may read the answers.
    public enum AllowedOrigins: Sendable, Equatable {
        /// Any origin: `*`, or the request's origin echoed when credentials are allowed.
        case any
        /// These exact origins (e.g. `https://example.com`), compared case-insensitively.
        case list([String])
    }

    /// The origins allowed.
    public var allowedOrigins: AllowedOrigins
    /// The methods a preflight allows.
    public var allowedMethods: [HTTPRequest.Method]
    /// The request fields a preflight allows; empty echoes what the preflight asked for.
    public var allowedHeaders: [String]
    /// Response fields the browser may show to scripts (`Access-Control-Expose-Headers`).
    public var exposedHeaders: [String]
    /// Whether cookies and credentials may be sent (`Access-Control-Allow-Credentials: true`).
    public var allowCredentials: Bool
    /// How long a browser may cache a preflight answer, in seconds (nil: not sent).
    public var maxAge: Int?

    /// A policy; by default any origin, the common methods, the requested headers, no credentials.
    public init(
        allowedOrigins: AllowedOrigins = .any,
        allowedMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete],
        allowedHeaders: [String] = [], exposedHeaders: [String] = [], allowCredentials: Bool = false,
        maxAge: Int? = 600
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.allowCredentials = allowCredentials
        self.maxAge = maxAge
    }

    /// Answers a preflight, or calls `next` and adds the CORS fields.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        if let preflight = preflight(request) { return preflight }
        return finish(try await next(request, context), for: request)
    }

    /// Answers a preflight, or calls `next` and marks its answer, synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        if let preflight = preflight(request) { return preflight }
        return finish(try next(request, context), for: request)
    }

    /// The answer to a preflight request (`OPTIONS` with `Access-Control-Request-Method`), else nil.
    private func preflight(_ request: HTTPServerRequest) -> HTTPServerResponse? {
        guard request.method == .options, let origin = request.headerValue(.origin),
            let asked = request.headerValue(.accessControlRequestMethod)
        else { return nil }
        var response = HTTPServerResponse(status: .noContent)
        response.headerFields.addVary("Origin")
        response.headerFields.addVary("Access-Control-Request-Method")
        response.headerFields.addVary("Access-Control-Request-Headers")
        guard isAllowed(origin), allowedMethods.contains(where: { $0.rawValue == asked }) else { return response }
        setOrigin(origin, on: &response.headerFields)
        response.headerFields[.accessControlAllowMethods] = allowedMethods.map(\.rawValue).joined(
            separator: ", ")
        let headers =
            allowedHeaders.isEmpty ? request.headerValue(.accessControlRequestHeaders) : allowedHeaders.joined(separator: ", ")
        if let headers, !headers.isEmpty { response.headerFields[.accessControlAllowHeaders] = headers }
        if let maxAge { response.headerFields[.accessControlMaxAge] = "\(maxAge)" }
        return response
    }

    /// The CORS fields of an answer to an ordinary (not preflight) request.
    private func finish(_ response: HTTPServerResponse, for request: HTTPServerRequest) -> HTTPServerResponse {
        var response = response
        if dependsOnOrigin { response.headerFields.addVary("Origin") }
        guard let origin = request.headerValue(.origin), isAllowed(origin) else { return response }
        setOrigin(origin, on: &response.headerFields)
        if !exposedHeaders.isEmpty {
            response.headerFields[.accessControlExposeHeaders] = exposedHeaders.joined(separator: ", ")
        }
        return response
    }

    private var dependsOnOrigin: Bool {
        if case .list = allowedOrigins { return true }
        return allowCredentials
    }

    private func isAllowed(_ origin: String) -> Bool {
        switch allowedOrigins {
        case .any: true
        case .list(let origins): origins.contains { $0.lowercased() == origin.lowercased() }
        }
    }

    private func setOrigin(_ origin: String, on fields: inout HTTPFields) {
        if allowedOrigins == .any && !allowCredentials {
            fields[.accessControlAllowOrigin] = "*"
        } else {
            fields[.accessControlAllowOrigin] = origin
        }
        if allowCredentials { fields[.accessControlAllowCredentials] = "true" }
    }
}
