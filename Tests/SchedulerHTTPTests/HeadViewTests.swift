import HTTPTypes
import SchedulerHTTP
import Testing

/// `nextView` (heads as byte spans) and the C fast path for field lines behind both it and `next`.
@Suite("HTTP request head view and bulk field lines", .timeLimit(.minutes(2)))
struct HeadViewTests {
    /// What a view says, as text: method, target, then each field line `name=value`.
    static func views(_ bytes: [UInt8], cuts: [Int] = [], limits: HTTPParserLimits = .default) -> [String] {
        var parser = HTTPRequestParser(limits: limits)
        var seen: [String] = []
        var buffer: [UInt8] = []
        var fed = 0
        for cut in cuts + [bytes.count] where cut >= fed {
            buffer += bytes[fed..<cut]
            fed = cut
            while true {
                let result = buffer.withUnsafeBytes { raw in
                    Result { () throws(HTTPParseError) -> (String?, Int) in
                        let step = try parser.nextView(raw)
                        switch step.event {
                        case .head(let h):
                            var text = "\(String(decoding: h.method, as: UTF8.self)) \(String(decoding: h.target, as: UTF8.self))"
                            for k in 0..<h.fieldCount {
                                text += " [\(String(decoding: h.fieldName(k), as: UTF8.self))=\(Array(h.fieldValue(k)).map(String.init).joined(separator: ","))]"
                            }
                            return (text, step.consumed)
                        case .body: return ("body", step.consumed)
                        case .end: return ("end", step.consumed)
                        case .needMore: return (nil, step.consumed)
                        }
                    }
                }
                switch result {
                case .failure(let error):
                    seen.append("error \(error.kind) at \(error.offset)")
                    return seen
                case .success(let (event, consumed)):
                    buffer.removeFirst(consumed)
                    guard let event else { break }
                    seen.append(event)
                    if seen.count > 10_000 { return seen }
                    continue
                }
                break
            }
        }
        return seen
    }

    static func bytes(_ text: String) -> [String] { [Array(text.utf8).map(String.init).joined(separator: ",")] }

    /// Field values with tabs and spaces around them, obs-text, names with rare token characters,
    /// LF-only line ends and a colon inside a value: the spans are exact, split anywhere.
    @Test func spansAreExactAtEveryCut() {
        var head: [UInt8] = Array("GET /a?b=1 HTTP/1.1\r\nHost: h.test\r\nX_Under.score~: \t v \t\r\n".utf8)
        head += Array("Referer: http://x:1/\nX-Obs: caf".utf8) + [0xE9] + Array("\r\nEmpty:\r\nA: b c\r\n\r\n".utf8)
        let expected = [
            "GET /a?b=1 [Host=\(Self.bytes("h.test")[0])] [X_Under.score~=\(Self.bytes("v")[0])]"
                + " [Referer=\(Self.bytes("http://x:1/")[0])] [X-Obs=\((Array("caf".utf8) + [0xE9]).map(String.init).joined(separator: ","))]"
                + " [Empty=] [A=\(Self.bytes("b c")[0])]",
            "end",
        ]
        #expect(Self.views(head) == expected)
        for cut in 0...head.count {
            #expect(Self.views(head, cuts: [cut]) == expected, "cut at \(cut)")
        }
    }

    /// Forty fields (several bulk batches): the view and the built request agree field by field.
    @Test func manyFieldsAgreeWithTheBuiltRequest() throws {
        var text = "GET /many HTTP/1.1\r\nHost: h\r\n"
        for i in 1...39 { text += "X-Field-\(i): value-\(i)\r\n" }
        let bytes = Array((text + "\r\n").utf8)
        let view = Self.views(bytes)
        #expect(view.count == 2)
        #expect(view.first?.hasPrefix("GET /many [Host=104] [X-Field-1=") == true)
        #expect(view.first?.contains("[X-Field-39=\(Self.bytes("value-39")[0])]") == true)
        let request = try HTTPRequest.parse(bytes).head
        #expect(request.headerFields.count == 39)
        #expect(request.headerFields[HTTPField.Name("X-Field-17")!] == "value-17")
        #expect(request.headerFields[HTTPField.Name("X-Field-39")!] == "value-39")
    }

    /// A bad line after many good ones is found at its own byte, by either entry point.
    @Test func errorAfterManyGoodLinesNamesItsOffset() {
        var text = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1...20 { text += "X-F\(i): v\r\n" }
        let bad = text.utf8.count + 5
        text += "X-Bad : v\r\n\r\n"
        #expect(Self.views(Array(text.utf8)) == ["error whitespaceBeforeColon at \(bad)"])
        #expect(parseRequests(Array(text.utf8)) == [.error(HTTPParseError(.whitespaceBeforeColon, at: bad))])
        // A control byte inside a value, after a full batch of sixteen.
        var control = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1...17 { control += "X-F\(i): v\r\n" }
        let at = control.utf8.count + 6
        let bytes = Array((control + "X-C: a\u{1}b\r\n\r\n").utf8)
        #expect(Self.views(bytes) == ["error controlCharacter at \(at)"])
    }

    /// The field-count limit holds across bulk batches: the first line over it is the error.
    @Test func fieldLimitAcrossBatches() {
        var text = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1...20 { text += "X-F\(i): v\r\n" }
        let lines = text.utf8.count
        text += "X-Over: v\r\n\r\n"
        let limits = HTTPParserLimits(maxFieldCount: 21)
        #expect(Self.views(Array(text.utf8), limits: limits) == ["error tooManyFields at \(lines)"])
        #expect(Self.views(Array(text.utf8), limits: HTTPParserLimits(maxFieldCount: 22)).last == "end")
    }

    /// Framing fields read from a bulk batch: Content-Length after fifteen other fields frames the body.
    @Test func framingFieldsInABatch() {
        var text = "POST / HTTP/1.1\r\nHost: h\r\n"
        for i in 1...15 { text += "X-F\(i): v\r\n" }
        text += "content-length: 3\r\nConnection: close\r\n\r\nabc"
        let seen = parseRequests(Array(text.utf8))
        #expect(seen.count == 3)
        #expect(seen.dropFirst().first == .body(Array("abc".utf8)))
        var parser = HTTPRequestParser()
        let keepAlive = Array(text.utf8).withUnsafeBytes { raw -> Bool in
            _ = try? parser.nextView(raw)
            return parser.keepAlive
        }
        #expect(keepAlive == false)
    }

    /// A chunked body through `nextView`: its bytes, then `.end` with the trailer fields on the
    /// parser until the next head (which has none).
    @Test func chunkedTrailersThroughTheView() throws {
        let text = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = HTTPRequestParser()
        var events: [String] = []
        try Array(text.utf8).withUnsafeBytes { raw in
            var rest = raw
            for _ in 0..<20 where events.count < 5 {
                let step = try parser.nextView(rest)
                switch step.event {
                case .head(let head):
                    events.append("head \(String(decoding: head.target, as: UTF8.self)) trailers \(parser.trailers == nil ? "none" : "kept")")
                case .body(let bytes): events.append("body \(String(decoding: bytes, as: UTF8.self))")
                case .end: events.append("end \(parser.trailers?[HTTPField.Name("X-Sum")!] ?? "none")")
                case .needMore: events.append("needMore")
                }
                rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
            }
        }
        #expect(events == ["head /up trailers none", "body abc", "end 42", "head /next trailers none", "end none"])
    }

    /// Framing fields on both sides of the one-call scan's 32 lines: Transfer-Encoding among the
    /// first 32 and Content-Length after them is the smuggling pair, found at its own byte; a lone
    /// Content-Length after them frames the body.
    @Test func framingFieldsPastTheFirst32Lines() {
        var head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        for i in 1...33 { head += "X-F\(i): v\r\n" }
        let at = head.utf8.count
        #expect(parseRequests(Array((head + "Content-Length: 3\r\n\r\nabc").utf8))
            == [.error(HTTPParseError(.contentLengthWithTransferEncoding, at: at))])
        var plain = "POST / HTTP/1.1\r\nHost: h\r\n"
        for i in 1...33 { plain += "X-F\(i): v\r\n" }
        let seen = parseRequests(Array((plain + "Content-Length: 3\r\n\r\nabc").utf8))
        #expect(seen.count == 3)
        #expect(seen.dropFirst().first == .body(Array("abc".utf8)))
    }
}
