import HTTPTypes

/// The request that follows a redirect, by RFC 9110 §15.4.
enum RedirectPolicy {
    /// The next request and its URL, or nil when `response` is not a redirect to follow
    /// (no Location, another status, or a 307/308 whose streamed body cannot be sent again).
    static func next(
        after request: HTTPClientRequest, url: HTTPClientURL, response: HTTPResponse
    ) throws(HTTPClientError) -> (HTTPClientRequest, HTTPClientURL)? {
        let code = response.status.code
        guard [301, 302, 303, 307, 308].contains(code), let location = response.headerFields[.location],
            !location.isEmpty
        else { return nil }
        let target = try url.resolving(location)
        var next = request
        let method = request.head.method
        // 303: anything but HEAD becomes GET; 301/302: POST becomes GET (what user agents do).
        let toGet = (code == 303 && method != .head && method != .get) || ((code == 301 || code == 302) && method == .post)
        if toGet {
            next.head.method = .get
            next.body = .empty
            for name in [HTTPField.Name.contentType, .contentEncoding, .contentLanguage, .contentLocation, .expect] {
                next.head.headerFields[name] = nil
            }
        } else if !request.body.isReplayable {
            return nil
        }
        if target.scheme != url.scheme || target.host != url.host || target.port != url.port {
            for name in [HTTPField.Name.authorization, .cookie, .proxyAuthorization] {
                next.head.headerFields[name] = nil
            }
        }
        next.head.scheme = target.scheme
        next.head.authority = target.authority
        next.head.path = target.target
        return (next, target)
    }
}
