import HTTPTypes
import Logging
import Testing

@testable import SchedulerHTTP

/// A `String` answer is kept as a string and copied straight into the send buffer: its UTF-8
/// bytes on the wire (multi-byte characters included), Content-Length in bytes, nothing after a
/// HEAD head, gzip of the same bytes, and the log line's byte count, over a loopback server.
@Suite(.timeLimit(.minutes(1))) struct StringBodyTests {
    /// 3,000 characters, 1,100 of them two or three bytes long in UTF-8.
    static let text = String(repeating: "héllo ✓ wörld ", count: 200)

    @Test func stringAnswersGoOutAsTheirUTF8Bytes() async throws {
        let bytes = Array(Self.text.utf8)
        #expect(bytes.count > Self.text.count)
        var router = HTTPRouter()
        router.use(CompressionMiddleware())
        try router.get("/text") { _, _ in Self.text }
        try router.get("/short") { _, _ in HTTPServerResponse(status: .ok, body: .string("ünï")) }
        try await MW.withRouterServer(router) { port in
            let plain = try await MW.exchange(port, "GET /text HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(plain.body == bytes)
            #expect(plain.field("Content-Length") == "\(bytes.count)")
            let short = try await MW.exchange(port, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(short.body == Array("ünï".utf8) && short.field("Content-Length") == "5")
            let gzip = try await MW.exchange(port, "GET /text HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            #expect(gzip.field("Content-Encoding") == "gzip")
            #expect(try MW.pythonInflate(gzip.body) == bytes)
            try await MW.offPool {
                let client = try RawClient(port: port)
                try client.send("HEAD /text HTTP/1.1\r\nHost: x\r\n\r\nGET /short HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = try client.readResponse(noBody: true)
                #expect(head.field("Content-Length") == "\(bytes.count)")
                // The next response follows the head at once: no body bytes were sent after it.
                #expect(try client.readResponse().body == Array("ünï".utf8))
            }
        }
        let response = try await router.route(MW.request(.get, "/text"))
        #expect(response.body.byteCount == bytes.count && response.body.bytes == bytes)
    }
}
