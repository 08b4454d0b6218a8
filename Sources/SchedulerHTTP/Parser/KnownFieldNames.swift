import HTTPTypes

/// The field names most requests and responses carry, matched byte for byte as clients usually
/// spell them: the static `HTTPField.Name` then stands in for building and validating a new one.
/// Any other spelling (lowercase, for one) takes the general path with the same result.
@inline(__always)
func knownFieldName(_ p: UnsafeRawBufferPointer) -> HTTPField.Name? {
    switch p.count {
    case 4:
        if equalsExactly(p, 0, "Date") { return .date }
        if equalsExactly(p, 0, "ETag") { return .eTag }
        if equalsExactly(p, 0, "Vary") { return .vary }
    case 5:
        if equalsExactly(p, 0, "Range") { return .range }
    case 6:
        if equalsExactly(p, 0, "Accept") { return .accept }
        if equalsExactly(p, 0, "Cookie") { return .cookie }
        if equalsExactly(p, 0, "Expect") { return .expect }
        if equalsExactly(p, 0, "Origin") { return .origin }
        if equalsExactly(p, 0, "Server") { return .server }
    case 7:
        if equalsExactly(p, 0, "Referer") { return .referer }
        if equalsExactly(p, 0, "Upgrade") { return .upgrade }
        if equalsExactly(p, 0, "Trailer") { return .trailer }
    case 8:
        if equalsExactly(p, 0, "Location") { return .location }
    case 10:
        if equalsExactly(p, 0, "Connection") { return .connection }
        if equalsExactly(p, 0, "User-Agent") { return .userAgent }
        if equalsExactly(p, 0, "Set-Cookie") { return .setCookie }
    case 12:
        if equalsExactly(p, 0, "Content-Type") { return .contentType }
    case 13:
        if equalsExactly(p, 0, "Authorization") { return .authorization }
        if equalsExactly(p, 0, "Cache-Control") { return .cacheControl }
        if equalsExactly(p, 0, "If-None-Match") { return .ifNoneMatch }
        if equalsExactly(p, 0, "Last-Modified") { return .lastModified }
        if equalsExactly(p, 0, "Accept-Ranges") { return .acceptRanges }
    case 14:
        if equalsExactly(p, 0, "Content-Length") { return .contentLength }
    case 15:
        if equalsExactly(p, 0, "Accept-Encoding") { return .acceptEncoding }
        if equalsExactly(p, 0, "Accept-Language") { return .acceptLanguage }
    case 16:
        if equalsExactly(p, 0, "Content-Encoding") { return .contentEncoding }
    case 17:
        if equalsExactly(p, 0, "If-Modified-Since") { return .ifModifiedSince }
        if equalsExactly(p, 0, "Transfer-Encoding") { return .transferEncoding }
        if equalsExactly(p, 0, "Sec-WebSocket-Key") { return .secWebSocketKey }
    case 20:
        if equalsExactly(p, 0, "Sec-WebSocket-Accept") { return .secWebSocketAccept }
    case 21:
        if equalsExactly(p, 0, "Sec-WebSocket-Version") { return .secWebSocketVersion }
    case 22:
        if equalsExactly(p, 0, "Sec-WebSocket-Protocol") { return .secWebSocketProtocol }
    case 24:
        if equalsExactly(p, 0, "Sec-WebSocket-Extensions") { return .secWebSocketExtensions }
    default:
        break
    }
    return nil
}
