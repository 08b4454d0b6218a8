import HTTPTypes
import SchedulerHTTP
import Testing

/// `Accept-Encoding: gzip` only when asked, transparent decoding, and the decoded-size limit.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DecompressionTests {
    /// gzip of 6000 bytes when the request asks for it (sent in two pieces), else plain text.
    static let server = #"""
        import gzip
        while True:
            head = read_head(c)
            if head is None:
                return
            if b"accept-encoding: gzip" in head.lower():
                body = gzip.compress(b"hello " * 1000)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body))
                c.sendall(body[:10])
                time.sleep(0.02)
                c.sendall(body[10:])
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nidentity")
        """#

    @Test func decodedOnlyWhenAsked() async throws {
        let raw = try RawServer(Self.server)
        let plain = try makeClient()
        #expect(try await plain.get(raw.url()).body.string() == "identity")
        await plain.shutdown()
        let client = try makeClient { $0.decompression = true }
        let response = try await client.get(raw.url())
        #expect(response.head.headerFields[.contentEncoding] == nil)
        #expect(try await response.body.string() == String(repeating: "hello ", count: 1000))
        // The connection is kept after a decoded body.
        #expect(try await client.get(raw.url()).body.string().count == 6000)
        await client.shutdown()
        #expect(raw.stop() == 2)
    }

    @Test func decodedSizeIsBounded() async throws {
        let raw = try RawServer(Self.server)
        let client = try makeClient {
            $0.decompression = true
            $0.maxDecompressedBytes = 1000
        }
        await #expect {
            _ = try await client.get(raw.url()).body.collect(upTo: 1 << 20)
        } throws: { error in
            guard case HTTPClientError.decompressionFailed(let text) = error else { return false }
            return text.contains("larger than 1000")
        }
        await client.shutdown()
        _ = raw.stop()
    }

    @Test func invalidGzipIsAnError() async throws {
        let raw = try RawServer(
            #"""
            read_head(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!")
            time.sleep(5)
            """#)
        let client = try makeClient { $0.decompression = true }
        await #expect {
            _ = try await client.get(raw.url()).body.collect(upTo: 1 << 20)
        } throws: { error in
            guard case HTTPClientError.decompressionFailed = error else { return false }
            return true
        }
        await client.shutdown()
        _ = raw.stop()
    }
}
