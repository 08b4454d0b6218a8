import HTTPTypes

/// Writes a request head in HTTP/1.1 syntax, after checking every byte HTTP forbids in it.
enum RequestWriter {
    /// How the body is framed on the wire.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// The framing of `body` for `method`: none for an empty body of a method without one.
    static func framing(_ body: HTTPClientRequestBody, method: HTTPRequest.Method) -> Framing {
        switch body.storage {
        case .bytes(let bytes):
            if bytes.isEmpty { return method == .post || method == .put || method == .patch ? .length(0) : .none }
            return .length(bytes.count)
        case .stream(let length, _):
            return length.map { .length($0) } ?? .chunked
        }
    }

    /// The head's bytes: request line, Host, the caller's fields (framing fields replaced), framing.
    static func head(
        _ request: HTTPRequest, url: HTTPClientURL, framing: Framing, acceptGzip: Bool, userAgent: String?
    ) throws(HTTPClientError) -> [UInt8] {
        let target = url.target
        try checkToken(request.method.rawValue, what: "method")
        for byte in target.utf8 where byte <= 0x20 || byte >= 0x7F {
            throw .invalidRequest("byte 0x\(String(byte, radix: 16)) in the request target")
        }
        for byte in url.authority.utf8 where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "/") {
            throw .invalidRequest("byte 0x\(String(byte, radix: 16)) in the authority")
        }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out += request.method.rawValue.utf8
        out.append(0x20)
        out += target.utf8
        out += " HTTP/1.1\r\nHost: ".utf8
        out += url.authority.utf8
        out += "\r\n".utf8
        var hasUserAgent = false
        for field in request.headerFields {
            let name = field.name
            if name.canonicalName == "host" || name == .contentLength || name == .transferEncoding { continue }
            if name == .acceptEncoding && acceptGzip { continue }
            if name == .userAgent { hasUserAgent = true }
            try checkValue(field.value, name: field.name.rawName)
            out += name.rawName.utf8
            out += ": ".utf8
            out += field.value.utf8
            out += "\r\n".utf8
        }
        if !hasUserAgent, let userAgent { out += "User-Agent: \(userAgent)\r\n".utf8 }
        if acceptGzip { out += "Accept-Encoding: gzip\r\n".utf8 }
        switch framing {
        case .none: break
        case .length(let count): out += "Content-Length: \(count)\r\n".utf8
        case .chunked: out += "Transfer-Encoding: chunked\r\n".utf8
        }
        out += "\r\n".utf8
        return out
    }

    /// A chunk of a chunked body: size line, data, CRLF.
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out += [0x0D, 0x0A]
        out += bytes
        out += [0x0D, 0x0A]
        return out
    }

    /// The last chunk and the end of a chunked body (no trailers).
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    private static func checkToken(_ text: String, what: String) throws(HTTPClientError) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains($0) })
        else { throw .invalidRequest("the \(what) '\(text)' is not a token") }
    }

    /// swift-http-types already turns CR, LF and NUL in values into spaces; this keeps the
    /// writer safe on its own.
    private static func checkValue(_ value: String, name: String) throws(HTTPClientError) {
        for byte in value.utf8 where byte == 0x0D || byte == 0x0A || byte == 0 {
            throw .invalidRequest("control byte 0x\(String(byte, radix: 16)) in the value of \(name)")
        }
    }
}
