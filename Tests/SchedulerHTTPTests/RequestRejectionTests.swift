import SchedulerHTTP
import Testing

/// One malformed request and the error it must raise.
struct Rejection: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let kind: HTTPParseError.Kind
    let offset: Int

    init(_ name: String, _ text: String, _ kind: HTTPParseError.Kind, _ offset: Int) {
        self.init(name, Array(text.utf8), kind, offset)
    }

    init(_ name: String, _ bytes: [UInt8], _ kind: HTTPParseError.Kind, _ offset: Int) {
        self.name = name
        self.bytes = bytes
        self.kind = kind
        self.offset = offset
    }

    var testDescription: String { name }
}

/// Every rejection HTTP.md lists (RFC 9112), with the byte it points at.
let rejections: [Rejection] = [
        Rejection("CL then TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding, 45),
        Rejection("TE then CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", .contentLengthWithTransferEncoding, 54),
        Rejection("differing CL fields", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .conflictingContentLength, 61),
        Rejection("differing CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", .conflictingContentLength, 45),
        Rejection("CL with letter", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3a\r\n\r\n", .invalidContentLength, 43),
        Rejection("negative CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", .invalidContentLength, 42),
        Rejection("empty CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", .invalidContentLength, 41),
        Rejection("CL with plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n", .invalidContentLength, 42),
        Rejection("CL overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength, 60),
        Rejection("CL with inner space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", .invalidContentLength, 44),
        Rejection("TE without chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", .invalidTransferEncoding, 45),
        Rejection("TE chunked not last", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidTransferEncoding, 54),
        Rejection("TE chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding, 73),
        Rejection("TE chunkedx", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkedx\r\n\r\n", .invalidTransferEncoding, 45),
        Rejection("TE empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", .invalidTransferEncoding, 44),
        Rejection("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding, 36),
        Rejection("TE gzip then chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding, 45),
        Rejection("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", .obsFold, 33),
        Rejection("space after start line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", .obsFold, 16),
        Rejection("space before colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", .whitespaceBeforeColon, 28),
        Rejection("tab before colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A\t: 1\r\n\r\n", .whitespaceBeforeColon, 28),
        Rejection("bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n", .bareCR, 31),
        Rejection("bare CR after request line", "GET / HTTP/1.1\rHost: h\r\n\r\n", .bareCR, 14),
        Rejection("bare CR at head end", "GET / HTTP/1.1\r\nHost: h\r\n\r\rX", .bareCR, 25),
        Rejection("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{00}b\r\n\r\n", .controlCharacter, 31),
        Rejection("SOH in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{01}b\r\n\r\n", .controlCharacter, 31),
        Rejection("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7F}b\r\n\r\n", .controlCharacter, 31),
        Rejection("control in name", "GET / HTTP/1.1\r\nHost: h\r\nX\u{01}A: b\r\n\r\n", .controlCharacter, 26),
        Rejection("@ in name", "GET / HTTP/1.1\r\nHost: h\r\nX@A: b\r\n\r\n", .invalidFieldName, 26),
        Rejection("empty name", "GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n", .invalidFieldName, 25),
        Rejection("no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", .missingColon, 32),
        Rejection("NUL in target", "GET /a\u{00}b HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 6),
        Rejection("control in target", "GET /a\u{01}b HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 6),
        Rejection("DEL in target", "GET /a\u{7F}b HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 6),
        Rejection("non-ASCII in target", [71, 69, 84, 32, 47, 97, 195, 169, 32, 72, 84, 84, 80, 47, 49, 46, 49, 13, 10, 72, 111, 115, 116, 58, 32, 104, 13, 10, 13, 10], .invalidTarget, 6),
        Rejection("tab in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 6),
        Rejection("two spaces after method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 4),
        Rejection("space after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .invalidVersion, 14),
        Rejection("no version", "GET /\r\nHost: h\r\n\r\n", .invalidRequestLine, 5),
        Rejection("junk after version", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", .invalidVersion, 14),
        Rejection("bad method token", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 1),
        Rejection("control in method", "GET\u{01} / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 3),
        Rejection("leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 0),
        Rejection("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion, 6),
        Rejection("HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", .unsupportedVersion, 6),
        Rejection("lowercase http", "GET / http/1.1\r\nHost: h\r\n\r\n", .invalidVersion, 6),
        Rejection("short version", "GET / HTTP/1.\r\nHost: h\r\n\r\n", .invalidVersion, 13),
        Rejection("version without dot", "GET / HTTP/11\r\nHost: h\r\n\r\n", .invalidVersion, 12),
        Rejection("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost, 29),
        Rejection("two Host fields", "GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", .duplicateHost, 25),
        Rejection("two Host fields in 1.0", "GET / HTTP/1.0\r\nHost: h\r\nHost: h\r\n\r\n", .duplicateHost, 25),
        Rejection("relative target", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 4),
        Rejection("chunk size not hex", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunkSize, 56),
        Rejection("empty chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunkSize, 56),
        Rejection("chunk size overflow", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", .chunkSizeOverflow, 71),
        Rejection("too many chunk digits", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n", .invalidChunkSize, 72),
        Rejection("space after chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 58),
        Rejection("empty chunk extension", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 58),
        Rejection("unterminated quoted extension", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 62),
        Rejection("bad extension value", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=@\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 60),
        Rejection("NUL in chunk extension", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{00}\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 59),
        Rejection("chunk data without CRLF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", .invalidChunkTerminator, 64),
        Rejection("chunk data then bare CR", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n", .invalidChunkTerminator, 65),
        Rejection("bad trailer", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX : y\r\n\r\n", .whitespaceBeforeColon, 70),
]

@Suite("HTTP request rejections", .timeLimit(.minutes(2)))
struct RequestRejectionTests {
    @Test(arguments: rejections)
    func rejects(_ r: Rejection) {
        let seen = parseRequests(r.bytes)
        #expect(seen.last == .error(HTTPParseError(r.kind, at: r.offset)), "\(seen)")
    }

    @Test(arguments: rejections)
    func rejectsFedByteByByte(_ r: Rejection) {
        let seen = parseRequests(r.bytes, cuts: Array(0..<r.bytes.count))
        #expect(seen.last == .error(HTTPParseError(r.kind, at: r.offset)), "\(seen)")
    }

    @Test func errorMessagesNameTheProblemAndTheByte() {
        #expect("\(HTTPParseError(.bareCR, at: 17))" == "bare CR at byte 17")
        #expect("\(HTTPParseError(.contentLengthWithTransferEncoding, at: 40))" == "both Content-Length and Transfer-Encoding at byte 40")
        #expect(HTTPParseError(.tooManyFields, at: 0).status == 431)
        #expect(HTTPParseError(.headTooLarge, at: 0).status == 431)
        #expect(HTTPParseError(.targetTooLong, at: 0).status == 414)
        #expect(HTTPParseError(.obsFold, at: 0).status == 400)
    }
}
