import HTTPTypes
import SchedulerHTTP
import Testing

/// Messages that must parse, each checked whole, byte by byte, and split at every byte.
let framedRequests: [(String, String, [Seen])] = [
    (
        "content-length body", "PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
        [.head("PUT http h /echo [Content-Type: text/plain|Content-Length: 11]"), .body("hello world".bytes), .end(trailers: nil)]
    ),
    (
        "chunked with extensions and trailers",
        "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;q=\"x\\\"y\"\r\nhello\r\n1 ; ext\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 42\r\nX-Other:  v \r\n\r\n",
        [
            .head("POST http h /up [Transfer-Encoding: chunked]"), .body("hello 0123456789".bytes),
            .end(trailers: ["X-Sum: 42", "X-Other: v"]),
        ]
    ),
    (
        "chunked without trailers, bare LF line ends", "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n",
        [.head("POST http h / [Transfer-Encoding: chunked]"), .body("abc".bytes), .end(trailers: nil)]
    ),
    (
        "pipelined GET, POST, HEAD",
        "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcHEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n",
        [
            .head("GET http h /1 []"), .end(trailers: nil), .head("POST http h /2 [Content-Length: 3]"), .body("abc".bytes),
            .end(trailers: nil), .head("HEAD http h /3 []"), .end(trailers: nil),
        ]
    ),
    (
        "pipelined chunked then GET",
        "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
        [
            .head("POST http h /a [Transfer-Encoding: chunked]"), .body("ab".bytes), .end(trailers: ["T: 1"]),
            .head("GET http h /b []"), .end(trailers: nil),
        ]
    ),
    (
        "HTTP/1.0 without Host, empty lines before the request line", "\r\n\nGET / HTTP/1.0\r\n\r\n",
        [.head("GET http - / []"), .end(trailers: nil)]
    ),
    (
        "HTTP/1.2 is read as 1.1; obs-text and tabs in values", "GET / HTTP/1.2\r\nHost: h\r\nX-T: a\tb \u{00E9}\r\n\r\n",
        [.head("GET http h / [X-T: a\tb \u{00E9}]"), .end(trailers: nil)]
    ),
    (
        "absolute-form target", "GET http://example.test:8080/p?q HTTP/1.1\r\nHost: example.test:8080\r\n\r\n",
        [.head("GET http example.test:8080 /p?q []"), .end(trailers: nil)]
    ),
    (
        "CONNECT authority-form and OPTIONS *", "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        [.head("CONNECT - example.test:443 - []"), .end(trailers: nil), .head("OPTIONS http h * []"), .end(trailers: nil)]
    ),
    (
        "equal Content-Length values", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok",
        [.head("POST http h / [Content-Length: 2, 2|Content-Length: 2]"), .body("ok".bytes), .end(trailers: nil)]
    ),
    (
        "extension method", "MKCOL /d HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        [.head("MKCOL http h /d [Content-Length: 0]"), .end(trailers: nil)]
    ),
]

@Suite("HTTP request framing", .timeLimit(.minutes(2)))
struct RequestFramingTests {
    @Test(arguments: framedRequests.indices)
    func parsesWhole(_ index: Int) {
        let (name, text, expected) = framedRequests[index]
        #expect(parseRequests(text.bytes) == expected, "\(name)")
    }

    @Test(arguments: framedRequests.indices)
    func parsesByteByByte(_ index: Int) {
        let (name, text, expected) = framedRequests[index]
        let bytes = text.bytes
        #expect(parseRequests(bytes, cuts: Array(0..<bytes.count)) == expected, "\(name)")
    }

    @Test(arguments: framedRequests.indices)
    func parsesSplitAtEveryByte(_ index: Int) {
        let (name, text, expected) = framedRequests[index]
        let bytes = text.bytes
        for cut in 0...bytes.count {
            #expect(parseRequests(bytes, cuts: [cut]) == expected, "\(name), split at \(cut)")
        }
    }

    @Test func hundredPipelinedRequestsInOneBuffer() {
        var bytes: [UInt8] = []
        for i in 0..<100 { bytes += "GET /r\(i) HTTP/1.1\r\nHost: h\r\n\r\n".bytes }
        let seen = parseRequests(bytes)
        #expect(seen.count == 200)
        #expect(seen[198] == .head("GET http h /r99 []"))
    }

    @Test func framingFactsOfTheHead() throws {
        var parser = HTTPRequestParser()
        let text = "POST /u HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 20000000\r\n\r\n".bytes
        let step = try text.withUnsafeBytes { raw in Result { () throws(HTTPParseError) in try parser.next(raw).consumed } }.get()
        #expect(step == text.count)
        #expect(parser.declaredContentLength == 20_000_000)
        #expect(parser.framing == .contentLength(20_000_000))
        #expect(parser.version == .http1_0)
        #expect(parser.keepAlive)
        #expect(parser.expectsContinue)

        var closing = HTTPRequestParser()
        let close = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n".bytes
        _ = try close.withUnsafeBytes { raw in Result { () throws(HTTPParseError) in try closing.next(raw) } }.get()
        #expect(!closing.keepAlive)
        #expect(closing.isUpgrade)
        #expect(closing.framing == HTTPBodyFraming.none)
    }

    @Test func hundredFieldsPassAndTheHundredAndFirstFails() {
        var head = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1..<100 { head += "X-\(i): v\r\n" }
        #expect(parseRequests((head + "\r\n").bytes).count == 2)
        let extra = head + "X-100: v\r\n\r\n"
        let offset = head.utf8.count
        #expect(parseRequests(extra.bytes).last == .error(HTTPParseError(.tooManyFields, at: offset)))
        #expect(HTTPParseError(.tooManyFields, at: offset).status == 431)
    }

    @Test func headOverTheLimitFails() {
        let limits = HTTPParserLimits(maxHeadBytes: 1024)
        let big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n".bytes
        #expect(parseRequests(big, limits: limits).last == .error(HTTPParseError(.headTooLarge, at: 1024)))
        #expect(parseRequests(big, cuts: Array(stride(from: 0, to: big.count, by: 7)), limits: limits).last
            == .error(HTTPParseError(.headTooLarge, at: 1024)))
        // Exactly at the limit passes.
        let exact = "GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 1024 - 32))\r\n\r\n".bytes
        #expect(exact.count == 1024)
        #expect(parseRequests(exact, limits: limits).count == 2)
        // The default: 64 KiB.
        let huge = ("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 70_000) + "\r\n\r\n").bytes
        #expect(parseRequests(huge).last == .error(HTTPParseError(.headTooLarge, at: 65536)))
    }

    @Test func targetOverTheLimitFails() {
        let limits = HTTPParserLimits(maxTargetLength: 100)
        let ok = "GET /\(String(repeating: "a", count: 99)) HTTP/1.1\r\nHost: h\r\n\r\n".bytes
        #expect(parseRequests(ok, limits: limits).count == 2)
        let long = "GET /\(String(repeating: "a", count: 100)) HTTP/1.1\r\nHost: h\r\n\r\n".bytes
        #expect(parseRequests(long, limits: limits).last == .error(HTTPParseError(.targetTooLong, at: 104)))
        // A target longer than the whole head limit is still named as a long target (414).
        let endless = "GET /" + String(repeating: "a", count: 70_000)
        #expect(parseRequests(endless.bytes).last == .error(HTTPParseError(.targetTooLong, at: 4 + 8192)))
        #expect(HTTPParseError(.targetTooLong, at: 0).status == 414)
    }

    @Test func chunkSizeDigitsAreBounded() {
        let limits = HTTPParserLimits(maxChunkSizeDigits: 4)
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parseRequests((head + "0004\r\nabcd\r\n0\r\n\r\n").bytes, limits: limits).count == 3)
        #expect(parseRequests((head + "00004\r\nabcd\r\n0\r\n\r\n").bytes, limits: limits).last
            == .error(HTTPParseError(.invalidChunkSize, at: head.utf8.count + 4)))
    }

    @Test func endOfInputInsideAMessageIsAnError() throws {
        var parser = HTTPRequestParser()
        let bytes = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc".bytes
        var consumed = 0
        for _ in 0..<3 {
            consumed += try bytes.withUnsafeBytes { raw in
                Result { () throws(HTTPParseError) in try parser.next(UnsafeRawBufferPointer(rebasing: raw[consumed...])).consumed }
            }.get()
        }
        #expect(throws: HTTPParseError.self) { try parser.finish() }
        var idle = HTTPRequestParser()
        try idle.finish()
    }
}
