import Testing

/// Malformed requests: 400 (or 431) with Connection: close, and nothing after them is read.
@Suite(.timeLimit(.minutes(2))) struct RejectionTests {
    static let malformed: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nFoo : bar\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nFoo: bar\r\n baz\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rFoo: bar\r\n\r\n",
        "GET /\u{01} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]

    @Test(arguments: malformed)
    func malformedRequestGets400AndClose(_ request: String) async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            // A smuggled second request after the bad one must never be answered.
            try client.send(request + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.field("Connection") == "close")
            #expect(client.readsEndOfStream())
        }
    }

    @Test func hundredFieldsPassAndTheHundredAndFirstGets431() async throws {
        try await withServer { port in
            let fields = (0..<99).map { "X-F\($0): v\r\n" }.joined()
            let ok = try RawClient(port: port)
            try ok.send("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n")
            #expect(try ok.readResponse().status == 200)
            let over = try RawClient(port: port)
            try over.send("GET / HTTP/1.1\r\nHost: a\r\n\(fields)X-Last: v\r\n\r\n")
            #expect(try over.readResponse().status == 431)
        }
    }

    @Test func headOver64KiBGets431() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n")
            #expect(try client.readResponse().status == 431)
        }
    }
}
