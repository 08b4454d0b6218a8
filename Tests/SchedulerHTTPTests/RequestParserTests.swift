import HTTPTypes
import SchedulerHTTP
import Testing

@Suite("HTTP request parser", .timeLimit(.minutes(2)))
struct RequestParserTests {
    @Test func simpleGet() throws {
        let seen = parseRequests("GET /a?b=1 HTTP/1.1\r\nHost: x.test\r\nAccept: */*\r\n\r\n".bytes)
        #expect(seen == [.head("GET http x.test /a?b=1 [Accept: */*]"), .end(trailers: nil)])
    }

    @Test func oneCallParse() throws {
        let parsed = try HTTPRequest.parse("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET".bytes)
        #expect(parsed.head.method == .post)
        #expect(parsed.head.path == "/echo")
        #expect(parsed.head.authority == "h")
        #expect(parsed.body == "hello".bytes)
        #expect(parsed.consumed == 56)
        #expect(throws: HTTPParseError(.unexpectedEnd, at: 54)) {
            try HTTPRequest.parse("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel".bytes)
        }
    }
}
