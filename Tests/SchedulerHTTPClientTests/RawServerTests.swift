import HTTPTypes
import SchedulerHTTP
import Testing

/// Framings and failures the project's own server never produces, from Python raw servers.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RawServerTests {
    @Test func http10CloseDelimited() async throws {
        let server = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold server, body until close")
            c.close()
            """#)
        let client = try makeClient()
        for _ in 0..<2 {
            let response = try await client.get(server.url())
            #expect(response.version == .http1_0)
            #expect(try await response.body.string() == "old server, body until close")
        }
        // Not kept alive: each request had its own connection.
        await client.shutdown()
        #expect(server.stop() == 2)
    }

    @Test func chunkedWithTrailers() async throws {
        let server = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n")
            time.sleep(5)
            """#)
        let client = try makeClient()
        let response = try await client.get(server.url())
        #expect(try await response.body.string() == "hello world")
        #expect(response.body.trailers?[HTTPField.Name("X-Sum")!] == "11")
        await client.shutdown()
        _ = server.stop()
    }

    @Test func informationalResponsesAreSkipped() async throws {
        let server = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.05)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(5)
            """#)
        let client = try makeClient()
        let response = try await client.get(server.url())
        #expect(response.status == .ok)
        #expect(try await response.body.string() == "ok")
        await client.shutdown()
        _ = server.stop()
    }

    @Test func finalAnswerInsteadOf100SkipsTheBody() async throws {
        let server = try RawServer(
            #"""
            head = read_head(c)
            c.sendall(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
            c.settimeout(0.5)
            try:
                rest = c.recv(100)
            except socket.timeout:
                rest = b""
            print("body", len(rest), flush=True)
            time.sleep(5)
            """#)
        let client = try makeClient()
        let response = try await client.execute(
            try HTTPClientRequest(
                url: server.url(), method: .post, headerFields: [.expect: "100-continue"], body: .string("never sent")))
        #expect(response.status.code == 417)
        await client.shutdown()
        _ = server.stop()
    }

    @Test(arguments: [
        ("HTTP/1.1 2x0 OK\r\n\r\n", HTTPParseError.Kind.invalidStatusLine),
        ("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", HTTPParseError.Kind.whitespaceBeforeColon),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", HTTPParseError.Kind.conflictingContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HTTPParseError.Kind.invalidChunkSize),
    ])
    func malformedResponses(raw: String, kind: HTTPParseError.Kind) async throws {
        let escaped = raw.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        let server = try RawServer(
            """
            read_head(c)
            c.sendall(b"\(escaped)")
            time.sleep(5)
            """)
        let client = try makeClient()
        do {
            let response = try await client.get(server.url())
            _ = try await response.body.collect(upTo: 1000)
            Issue.record("no error for \(raw)")
        } catch let error as HTTPClientError {
            guard case .malformedResponse(let parse) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(parse.kind == kind, "\(parse)")
            #expect(parse.offset > 0)
        }
        await client.shutdown()
        _ = server.stop()
    }

    @Test func resetMidBody() async throws {
        let server = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
            time.sleep(0.1)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
            """#)
        let client = try makeClient()
        let response = try await client.get(server.url())
        await #expect {
            _ = try await response.body.collect(upTo: 1000)
        } throws: { error in
            guard case HTTPClientError.connectionReset = error else { return false }
            return true
        }
        await client.shutdown()
        _ = server.stop()
    }

    /// Answers each request with keep-alive, then closes the connection after the first answer.
    static let closesAfterOne = #"""
        head = read_head(c)
        print("req", head.split(b"\r\n")[0].decode(), flush=True)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.05)
        c.close()
        """#

    @Test func deadPooledConnectionRetriedOnceForGet() async throws {
        let server = try RawServer(Self.closesAfterOne)
        let client = try makeClient()
        #expect(try await client.get(server.url()).body.string() == "ok")
        try await Task.sleep(for: .milliseconds(200))  // the server has closed the pooled connection
        #expect(try await client.get(server.url()).body.string() == "ok")
        await client.shutdown()
        #expect(server.stop() == 2)
    }

    @Test func deadPooledConnectionNotRetriedForPost() async throws {
        let server = try RawServer(Self.closesAfterOne)
        let client = try makeClient()
        let post = try HTTPClientRequest(url: server.url(), method: .post, body: .string("x"))
        #expect(try await client.execute(post).body.string() == "ok")
        try await Task.sleep(for: .milliseconds(200))
        await #expect {
            _ = try await client.execute(post)
        } throws: { error in
            guard case HTTPClientError.connectionReset = error else { return false }
            return true
        }
        await client.shutdown()
        #expect(server.stop() == 1)
    }

    @Test func readTimeoutOnAServerThatNeverAnswers() async throws {
        let server = try RawServer("read_head(c)\ntime.sleep(30)")
        let client = try makeClient { $0.readTimeout = .milliseconds(300) }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: HTTPClientError.timedOut(.read)) { _ = try await client.get(server.url()) }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(5), "\(elapsed)")
        await client.shutdown()
        _ = server.stop()
    }

    @Test func totalTimeoutOnATrickle() async throws {
        // A byte every 100 ms: the read timeout never fires, the total deadline does.
        let server = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for i in range(200):
                c.sendall(b"x")
                time.sleep(0.1)
            """#)
        let client = try makeClient { $0.readTimeout = .seconds(2) }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: HTTPClientError.timedOut(.total)) {
            let response = try await client.execute(try HTTPClientRequest(url: server.url()), timeout: .milliseconds(600))
            _ = try await response.body.collect(upTo: 10000)
        }
        #expect(clock.now - start < .seconds(3))
        await client.shutdown()
        _ = server.stop()
    }

    @Test func cancellationFreesTheConnection() async throws {
        // The first connection never gets an answer; later ones do. One connection per key:
        // the second request only runs if cancelling the first gave its slot back.
        let server = try RawServer(
            #"""
            head = read_head(c)
            if n == 0:
                time.sleep(30)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(5)
            """#)
        let client = try makeClient {
            $0.maxConnectionsPerKey = 1
            $0.readTimeout = .seconds(20)
        }
        let url = server.url()
        let first = Task { try await client.get(url) }
        try await Task.sleep(for: .milliseconds(200))
        first.cancel()
        await #expect(throws: HTTPClientError.cancelled) { _ = try await first.value }
        let second = try await client.execute(try HTTPClientRequest(url: url), timeout: .seconds(5))
        #expect(try await second.body.string() == "ok")
        await client.shutdown()
        #expect(server.stop() == 2)
    }
}
