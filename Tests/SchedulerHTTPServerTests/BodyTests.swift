import Testing

/// Request and response bodies: Content-Length, chunked both ways, trailers, 100-continue, 413.
@Suite(.timeLimit(.minutes(2))) struct BodyTests {
    @Test func echoesAContentLengthBody() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try client.send(Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-test\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.field("Content-Type") == "application/x-test")
        }
    }

    @Test func readsAChunkedBodyWithTrailers() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send(
                "POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n")
            #expect(try client.readResponse().text == "11 X-Sum=11")
            try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            let echoed = try client.readResponse()
            #expect(echoed.text == "abc")
            #expect(echoed.field("Transfer-Encoding") == "chunked")
        }
    }

    @Test func streamsChunksAsProducedWithTrailers() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET /stream?n=4 HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.chunkSizes == [8, 8, 8, 8])
            #expect(response.text == "chunk 0\nchunk 1\nchunk 2\nchunk 3\n")
            #expect(response.trailers.first?.name == "X-Count")
            #expect(response.trailers.first?.value == "4")
        }
    }

    @Test func expectContinueGets100BeforeTheBody() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("abcd")
            #expect(try client.readResponse().text == "4")
        }
    }

    @Test func bodyOverTheLimitGets413BeforeItIsRead() async throws {
        try await withServer(configure: { $0.maxBodySize = 1000 }) { port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.field("Connection") == "close")
            #expect(client.readsEndOfStream())

            let chunked = try RawClient(port: port)
            let chunk = String(repeating: "x", count: 600)
            try chunked.send("POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
            #expect(try chunked.readResponse().status == 413)
        }
    }

    @Test func anUnreadBodyIsSkippedBeforeTheNextRequest() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "Hello, World!")
            #expect(try client.readResponse().text == "Hello, World!")
        }
    }
}
