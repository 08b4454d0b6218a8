import HTTPTypes

/// How a response's body is framed on the wire.
enum ResponseFraming: Equatable {
    /// `Content-Length: n`.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// Neither: the body ends when the connection closes (HTTP/1.0 streams).
    case untilClose
}

/// Serializes a response head: status line, the handler's fields, `Date`, framing, `Connection`.
enum ResponseHead {
    static func encode(
        _ head: HTTPResponse, framing: ResponseFraming, keepAlive: Bool, version: HTTPVersion,
        date: [UInt8], into out: inout [UInt8]
    ) {
        // RFC 9110 §6.2: a server sends the highest version it conforms to, also to 1.0 clients.
        // The status getter parses the status field: read it once.
        let status = head.status
        let code = status.code
        out.append(contentsOf: http11)
        appendDecimal(code, to: &out)
        out.append(space)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: crlf)
        for field in head.headerFields {
            switch field.name {
            case .contentLength, .transferEncoding, .date: continue
            // A 101's `Connection: Upgrade` is the handler's; other answers get the server's.
            case .connection where code != 101: continue
            default: break
            }
            out.append(contentsOf: field.name.rawName.utf8)
            out.append(contentsOf: colonSpace)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: dateName)
        out.append(contentsOf: date)
        out.append(contentsOf: crlf)
        switch framing {
        case .length(let count):
            if !(code == 204 || code == 304 || status.kind == .informational) {
                out.append(contentsOf: contentLengthName)
                appendDecimal(count, to: &out)
                out.append(contentsOf: crlf)
            }
        case .chunked:
            out.append(contentsOf: chunkedField)
        case .untilClose:
            break
        }
        if !keepAlive {
            out.append(contentsOf: connectionClose)
        } else if version.isHTTP10 {
            out.append(contentsOf: connectionKeepAlive)
        }
        out.append(contentsOf: crlf)
    }

    /// `HTTP/1.1 100 Continue` and the blank line.
    static let continueHead: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[count] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(raw[index]) }
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if value == 0 { out.append(48); return }
        while shift >= 0 {
            out.append(hex[(value >> shift) & 15])
            shift -= 4
        }
    }

    private static let http11: [UInt8] = Array("HTTP/1.1 ".utf8)
    private static let space = UInt8(ascii: " ")
    static let crlf: [UInt8] = [13, 10]
    private static let colonSpace: [UInt8] = Array(": ".utf8)
    private static let dateName: [UInt8] = Array("Date: ".utf8)
    private static let contentLengthName: [UInt8] = Array("Content-Length: ".utf8)
    private static let chunkedField: [UInt8] = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose: [UInt8] = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive: [UInt8] = Array("Connection: keep-alive\r\n".utf8)
}

extension HTTPVersion {
    /// HTTP/1.0, which has no chunked framing and closes by default.
    var isHTTP10: Bool { minor == 0 }
}
