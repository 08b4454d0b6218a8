import Foundation
import HTTPTypes
import SchedulerHTTP
import SchedulerPool
import Testing

/// Requests against the project's own HTTPServer: bodies every way, JSON, headers, streams.
@Suite(.timeLimit(.minutes(1))) struct ClientBasicsTests {
    @Test func getHelloAndHeaders() async throws {
        try await withServer { port in
            let client = try makeClient()
            let response = try await client.get("http://127.0.0.1:\(port)/")
            #expect(response.status == .ok)
            #expect(response.version == .http1_1)
            #expect(response.head.headerFields[.contentType] == "text/plain; charset=utf-8")
            #expect(try await response.body.string() == "Hello, World!")
            let missing = try await client.get("http://localhost:\(port)/nothing")
            #expect(missing.status == .notFound)
            _ = try await missing.body.collect(upTo: 1000)
            await client.shutdown()
        }
    }

    @Test func bodiesAsBytesStringAndJSON() async throws {
        struct Message: Codable, Equatable { var name: String; var count: Int }
        try await withServer { port in
            let client = try makeClient()
            let url = "http://127.0.0.1:\(port)/echo"
            let bytes = try await client.execute(
                try HTTPClientRequest(url: url, method: .post, body: .bytes([0, 1, 2, 255])))
            #expect(try await bytes.body.collect(upTo: 100) == [0, 1, 2, 255])
            let text = try await client.execute(try HTTPClientRequest(url: url, method: .put, body: .string("héllo")))
            #expect(try await text.body.string() == "héllo")
            let message = Message(name: "tenant", count: 3)
            let json = try await client.execute(
                try HTTPClientRequest(
                    url: url, method: .post, headerFields: [.contentType: "application/json"], body: .json(message)))
            #expect(json.head.headerFields[.contentType] == "application/json")
            #expect(try await json.json(Message.self) == message)
            await client.shutdown()
        }
    }

    @Test func streamsBothWaysWithoutLength() async throws {
        // 8 MiB up as a chunked stream, back streamed, compared by sum and length.
        let chunkCount = 128
        let upload = AsyncStream<[UInt8]> { continuation in
            for index in 0..<chunkCount { continuation.yield([UInt8](repeating: UInt8(index & 0xFF), count: 65536)) }
            continuation.finish()
        }
        let stream = AsyncThrowingStream<[UInt8], any Error> { continuation in
            Task {
                for await chunk in upload { continuation.yield(chunk) }
                continuation.finish()
            }
        }
        try await withServer { port in
            let client = try makeClient()
            let response = try await client.execute(
                try HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo", method: .post, body: .stream(stream)))
            var total = 0
            var sum = 0
            var chunks = 0
            for try await chunk in response.body {
                total += chunk.count
                chunks += 1
                for byte in chunk { sum &+= Int(byte) }
            }
            #expect(total == chunkCount * 65536)
            #expect(sum == (0..<chunkCount).reduce(0) { $0 + $1 * 65536 })
            #expect(chunks > 1, "the body came as one piece: not streamed")
            await client.shutdown()
        }
    }

    @Test func downloadStreamsToAFile() async throws {
        // 64 MiB to a file, chunk by chunk; the largest chunk stays small.
        let size = 64 << 20
        try await withServer { port in
            let client = try makeClient()
            let response = try await client.get("http://127.0.0.1:\(port)/big?\(size)")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID()).bin").path
            FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            var largest = 0
            for try await chunk in response.body {
                largest = max(largest, chunk.count)
                try handle.write(contentsOf: chunk)
            }
            try handle.close()
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? Int) == size)
            #expect(largest <= 1 << 20, "a chunk of \(largest) bytes")
            try FileManager.default.removeItem(atPath: path)
            #expect(response.body.trailers != nil || true)
            await client.shutdown()
        }
    }

    @Test func chunkedTrailersAndHeadFromOwnServer() async throws {
        try await withServer { port in
            let client = try makeClient()
            let head = try await client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(port)/", method: .head))
            #expect(head.head.headerFields[.contentLength] == "13")
            #expect(try await head.body.collect(upTo: 100).isEmpty)
            // The connection is still good after a HEAD (no body was waited for).
            #expect(try await client.get("http://127.0.0.1:\(port)/").body.string() == "Hello, World!")
            await client.shutdown()
        }
    }

    @Test func headerValuesCannotInjectFields() async throws {
        // swift-http-types legalizes a value: CR and LF become spaces, so no field is smuggled.
        let field = HTTPField(name: HTTPField.Name("X-Test")!, value: "a\r\nX-Evil: 1")
        #expect(!field.value.utf8.contains(13) && !field.value.utf8.contains(10))
        try await withServer { port in
            let client = try makeClient()
            let response = try await client.execute(
                try HTTPClientRequest(url: "http://127.0.0.1:\(port)/headers", headerFields: HTTPFields([field])))
            let text = try await response.body.string()
            #expect(text.hasSuffix("evil=false"), "\(text)")
            #expect(text.hasPrefix("X-Test=[a"), "\(text)")
            // A path with a space or CR LF is refused before anything is sent.
            var request = try HTTPClientRequest(url: "http://127.0.0.1:\(port)/")
            request.head.path = "/a b\r\nX-Evil: 1"
            await #expect(throws: HTTPClientError.self) { _ = try await client.execute(request) }
            await client.shutdown()
        }
    }

    @Test func expectContinueSendsTheBodyAfter100() async throws {
        try await withServer { port in
            let client = try makeClient()
            let response = try await client.execute(
                try HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/echo", method: .post, headerFields: [.expect: "100-continue"],
                    body: .string("after continue")))
            #expect(try await response.body.string() == "after continue")
            await client.shutdown()
        }
    }

    @Test func urlErrorsAndHTTPS() async throws {
        let client = try makeClient()
        await #expect(throws: HTTPClientError.unsupportedScheme("https")) {
            _ = try await client.get("https://127.0.0.1/")
        }
        #expect(HTTPClientError.unsupportedScheme("https").description.contains("not supported"))
        await #expect(throws: HTTPClientError.self) { _ = try await client.get("127.0.0.1/") }
        await #expect(throws: HTTPClientError.self) { _ = try await client.get("http://example.invalid/") }
        let url = try HTTPClientURL("http://[::1]:8080/a/b?q=1#frag")
        #expect(url.host == "::1" && url.port == 8080 && url.target == "/a/b?q=1" && url.authority == "[::1]:8080")
        #expect(try url.resolving("c").target == "/a/c")
        #expect(try url.resolving("/x?y").target == "/x?y")
        #expect(try url.resolving("http://127.0.0.1/z").port == 80)
        await client.shutdown()
    }

    @Test(arguments: [
        ("HTTP://Host:81/x", "Host", 81, "/x"), ("http://h", "h", 80, "/"), ("http://h?q=1", "h", 80, "/?q=1"),
        ("http://h#frag", "h", 80, "/"), ("http://h/a#b?c", "h", 80, "/a"), ("http://[fe80::1]/", "fe80::1", 80, "/"),
        ("http://héllo:8/p", "héllo", 8, "/p"),
    ] as [(String, String, UInt16, String)])
    func urlParts(_ text: String, _ host: String, _ port: UInt16, _ target: String) throws {
        let url = try HTTPClientURL(text)
        #expect(url.scheme == "http" && url.host == host && url.port == port && url.target == target)
    }

    @Test(arguments: [
        ("ftp://h/", HTTPClientError.unsupportedScheme("ftp")), ("Https://h/", .unsupportedScheme("https")),
        ("http:/h", .invalidURL("no scheme in 'http:/h'")), ("http://u@h/", .invalidURL("user information is not supported")),
        ("http://[::1/", .invalidURL("unclosed '[' in host")), ("http://h:99999/", .invalidURL("bad port in 'h:99999'")),
        ("http://[::1]x/", .invalidURL("bad port in '[::1]x'")), ("http://:80/", .invalidURL("no host in 'http://:80/'")),
    ])
    func urlErrors(_ text: String, _ expected: HTTPClientError) {
        #expect(throws: expected) { try HTTPClientURL(text) }
    }

    @Test func refusedIsTyped() async throws {
        let client = try makeClient()
        // Port 1 on loopback: nothing listens there.
        await #expect(throws: HTTPClientError.connectionRefused(address: "127.0.0.1:1")) {
            _ = try await client.get("http://127.0.0.1:1/")
        }
        await client.shutdown()
    }
}
