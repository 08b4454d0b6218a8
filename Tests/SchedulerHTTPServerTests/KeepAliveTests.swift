import Testing

/// Keep-alive, pipelining, HEAD and HTTP/1.0 over real loopback connections.
@Suite(.timeLimit(.minutes(2))) struct KeepAliveTests {
    @Test func answersAndKeepsTheConnection() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            for _ in 0..<3 {
                try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "Hello, World!")
                #expect(response.field("Content-Length") == "13")
                #expect(response.field("Date")?.hasSuffix(" GMT") == true)
                #expect(response.field("Connection") == nil)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send(
                "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse().text == "slow done")
            #expect(try client.readResponse().text == "3")
            #expect(try client.readResponse().status == 404)
            let last = try client.readResponse()
            #expect(last.text == "Hello, World!")
            #expect(last.field("Connection") == "close")
            #expect(client.readsEndOfStream())
        }
    }

    @Test func headGetsTheHeadersOfGetWithoutBody() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /stream?n=2 HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try client.readResponse(noBody: true)
            #expect(head.status == 200)
            #expect(head.field("Content-Length") == "13")
            let stream = try client.readResponse(noBody: true)
            #expect(stream.field("Transfer-Encoding") == "chunked")
            // Nothing follows the two heads: a GET now is answered next, with its body.
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "Hello, World!")
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        try await withServer { port in
            let plain = try RawClient(port: port)
            try plain.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try plain.readResponse().text == "Hello, World!")
            #expect(plain.readsEndOfStream())

            let kept = try RawClient(port: port)
            try kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try kept.readResponse()
            #expect(first.field("Connection") == "keep-alive")
            try kept.send("GET /stream?n=3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let stream = try kept.readResponse()
            #expect(stream.field("Content-Length") == "24")
            #expect(stream.field("Transfer-Encoding") == nil)
            #expect(stream.text == "chunk 0\nchunk 1\nchunk 2\n")
        }
    }

    @Test func connectionCloseFromTheClientIsHonoured() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.field("Connection") == "close")
            #expect(client.readsEndOfStream())
        }
    }

    @Test func aThrowingHandlerGets500AndTheConnectionLives() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET /fail HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 500)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }
}
