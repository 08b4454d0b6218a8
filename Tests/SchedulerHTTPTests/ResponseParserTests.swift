import HTTPTypes
import SchedulerHTTP
import Testing

@Suite("HTTP response parser", .timeLimit(.minutes(2)))
struct ResponseParserTests {
    /// Parses whole, byte by byte and split at every byte, and expects the same events each time.
    func check(
        _ text: String, methods: [HTTPRequest.Method] = [], _ expected: [Seen], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let bytes = text.bytes
        #expect(parseResponses(bytes, methods: methods) == expected, sourceLocation: sourceLocation)
        #expect(parseResponses(bytes, cuts: Array(0..<bytes.count), methods: methods) == expected, sourceLocation: sourceLocation)
        for cut in 0...bytes.count {
            #expect(parseResponses(bytes, cuts: [cut], methods: methods) == expected, "split at \(cut)", sourceLocation: sourceLocation)
        }
    }

    @Test func contentLength() {
        check(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
            [.head("200 OK [Content-Length: 5|Content-Type: text/plain]"), .body("hello".bytes), .end(trailers: nil)])
    }

    @Test func chunkedWithTrailers() {
        check(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nchunk \r\n2\r\n0\n\r\n0\r\nDigest: x\r\n\r\n",
            [.head("200 OK [Transfer-Encoding: chunked]"), .body("chunk 0\n".bytes), .end(trailers: ["Digest: x"])])
    }

    @Test func closeDelimitedBody() {
        check(
            "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of this until close",
            [.head("200 OK [Server: old]"), .body("all of this until close".bytes), .end(trailers: nil)])
    }

    @Test func interimResponsesThenFinal() {
        check(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            [
                .head("100 Continue []"), .head("103 Early Hints [Link: </s.css>]"), .head("201 Created [Content-Length: 2]"),
                .body("ok".bytes), .end(trailers: nil),
            ])
    }

    @Test func noBodyStatusesAndHead() {
        check(
            "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            methods: [.get, .get, .head, .get],
            [
                .head("204 No Content [Content-Length: 7]"), .end(trailers: nil),
                .head("304 Not Modified [Content-Length: 7]"), .end(trailers: nil),
                .head("200 OK [Content-Length: 7]"), .end(trailers: nil),
                .head("200 OK [Content-Length: 1]"), .body("x".bytes), .end(trailers: nil),
            ])
    }

    @Test func switchingProtocolsEndsHTTP() throws {
        let bytes = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{05}hello".bytes
        #expect(parseResponses(bytes, finish: false) == [.head("101 Switching Protocols [Upgrade: websocket|Connection: Upgrade]"), .end(trailers: nil)])
    }

    @Test func statusWithoutReasonAndObsTextReason() throws {
        check("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", [.head("404  [Content-Length: 0]"), .end(trailers: nil)])
        let latin = try HTTPResponse.parse([UInt8]("HTTP/1.1 200 Tr".utf8) + [0xE8] + Array("s bien\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(latin.head.status.reasonPhrase == "Tr\u{E8}s bien")
    }

    @Test func oneCallParseWithCloseDelimitedBody() throws {
        let r = try HTTPResponse.parse("HTTP/1.1 200 OK\r\n\r\nbody".bytes)
        #expect(r.head.status == .ok)
        #expect(r.body == "body".bytes)
        let h = try HTTPResponse.parse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n".bytes, requestMethod: .head)
        #expect(h.body.isEmpty)
    }

    @Test func rejections() {
        let cases: [(String, HTTPParseError.Kind, Int)] = [
            ("HTTP/1.1 20 OK\r\n\r\n", .invalidStatusLine, 11),
            ("HTTP/1.1 099 Low\r\n\r\n", .invalidStatusLine, 9),
            ("HTTP/1.1 200OK\r\n\r\n", .invalidStatusLine, 12),
            ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion, 0),
            ("HTTP/1.1  200 OK\r\n\r\n", .invalidStatusLine, 9),
            ("HTTP/1.1 200 O\u{01}K\r\n\r\n", .invalidStatusLine, 14),
            ("HTTP/1.1 200 O\u{7F}K\r\n\r\n", .invalidStatusLine, 14),
            // A DEL is rejected where it is seen, without waiting for the line's end.
            ("HTTP/1.1 200 O\u{7F}", .invalidStatusLine, 14),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding, 36),
            ("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", .obsFold, 23),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", .unexpectedEnd, 41),
        ]
        for (text, kind, offset) in cases {
            #expect(parseResponses(text.bytes).last == .error(HTTPParseError(kind, at: offset)), "\(text.debugDescription)")
        }
    }
}
