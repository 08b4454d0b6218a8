import HTTPTypes
import SchedulerHTTP
import Testing

/// The parsers of a thread keep the field names they built and find them again by their bytes:
/// each head must still carry exactly the names its bytes spell.
@Suite("HTTP field names kept across heads", .timeLimit(.minutes(2)))
struct FieldNameCacheTests {
    @Test func namesSeenAgainKeepTheirSpelling() {
        let one = "GET / HTTP/1.1\r\nHost: h\r\nX-Api-Key: a\r\nx-api-key: b\r\nX-API-KEY: c\r\nsec-ch-ua: d\r\n\r\n"
        let two = "GET / HTTP/1.1\r\nHost: h\r\nX-API-KEY: e\r\nsec-ch-ua: f\r\nx-api-key: g\r\nX-Api-Key: h\r\n\r\n"
        let seen = parseRequests((one + two + one).bytes)
        #expect(
            seen == [
                .head("GET http h / [X-Api-Key: a|x-api-key: b|X-API-KEY: c|sec-ch-ua: d]"), .end(trailers: nil),
                .head("GET http h / [X-API-KEY: e|sec-ch-ua: f|x-api-key: g|X-Api-Key: h]"), .end(trailers: nil),
                .head("GET http h / [X-Api-Key: a|x-api-key: b|X-API-KEY: c|sec-ch-ua: d]"), .end(trailers: nil),
            ])
    }

    @Test func namesMatchAFreshParserOverManyHeads() throws {
        // More distinct names than are kept, some longer than are kept, in random case: every
        // head of the stream equals what parsing that head alone makes of it.
        var generator = SplitMix(seed: 0x5EED_CAFE)
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~")
        let pool: [String] = (0..<120).map { index in
            let length = index % 10 == 0 ? Int.random(in: 65...90, using: &generator) : Int.random(in: 1...40, using: &generator)
            return String((0..<length).map { _ in letters.randomElement(using: &generator)! })
        }
        var stream: [UInt8] = []
        var heads: [String] = []
        for _ in 0..<400 {
            var text = "GET /x HTTP/1.1\r\nHost: h\r\n"
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                var name = pool.randomElement(using: &generator)!
                if Bool.random(using: &generator) { name = name.uppercased() }
                text += "\(name): v\(Int.random(in: 0...9, using: &generator))\r\n"
            }
            text += "\r\n"
            stream += text.bytes
            let alone = parseRequests(text.bytes)
            guard case .head(let head)? = alone.first else {
                Issue.record("\(text.debugDescription) parsed alone: \(alone)")
                return
            }
            heads.append(head)
        }
        let seen = parseRequests(stream)
        let expected = heads.flatMap { [Seen.head($0), .end(trailers: nil)] }
        #expect(seen.count == expected.count)
        // The first head that differs, not all 400 of them.
        if let index = seen.indices.first(where: { $0 < expected.count && seen[$0] != expected[$0] }) {
            Issue.record("event \(index): \(seen[index]) instead of \(expected[index])")
        }
    }

    @Test func aCopiedParserGoesOnWithTheRightNames() throws {
        var parser = HTTPRequestParser()
        _ = try firstHead(&parser, "GET / HTTP/1.1\r\nHost: h\r\nX-One: 1\r\n\r\n")
        var copy = parser
        let fromCopy = try firstHead(&copy, "GET / HTTP/1.1\r\nHost: h\r\nx-one: 2\r\nX-Two: 3\r\n\r\n")
        let fromOriginal = try firstHead(&parser, "GET / HTTP/1.1\r\nHost: h\r\nX-ONE: 4\r\nx-two: 5\r\n\r\n")
        #expect(describe(fromCopy) == "GET http h / [x-one: 2|X-Two: 3]")
        #expect(describe(fromOriginal) == "GET http h / [X-ONE: 4|x-two: 5]")
        #expect(fromOriginal.headerFields[HTTPField.Name("x-two")!] == "5")
    }

    @Test func responseNamesSeenAgainKeepTheirSpelling() throws {
        var parser = HTTPResponseParser()
        for (index, name) in ["X-Trace", "x-trace", "X-TRACE", "X-Trace"].enumerated() {
            let text = "HTTP/1.1 200 OK\r\n\(name): \(index)\r\nContent-Length: 0\r\n\r\n"
            let step = try text.bytes.withUnsafeBytes { raw throws(HTTPParseError) in try parser.next(raw) }
            guard case .head(let response) = step.event else {
                Issue.record("no head: \(step.event)")
                return
            }
            #expect(describe(response) == "200 OK [\(name): \(index)|Content-Length: 0]")
            let end = try text.bytes.withUnsafeBytes { raw throws(HTTPParseError) in
                try parser.next(UnsafeRawBufferPointer(rebasing: raw[step.consumed...]))
            }
            guard case .end = end.event else {
                Issue.record("no end: \(end.event)")
                return
            }
        }
    }

    /// The head `parser` finds at the start of `text`, with the rest of the message consumed.
    private func firstHead(_ parser: inout HTTPRequestParser, _ text: String) throws -> HTTPRequest {
        let bytes = text.bytes
        return try bytes.withUnsafeBytes { raw throws -> HTTPRequest in
            let step = try parser.next(raw)
            guard case .head(let request) = step.event else { throw HTTPParseError(.unexpectedEnd, at: 0) }
            let end = try parser.next(UnsafeRawBufferPointer(rebasing: raw[step.consumed...]))
            guard case .end = end.event else { throw HTTPParseError(.unexpectedEnd, at: step.consumed) }
            return request
        }
    }
}

extension SplitMix: RandomNumberGenerator {}
