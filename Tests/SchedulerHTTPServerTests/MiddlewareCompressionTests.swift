import HTTPTypes
import Testing

@testable import SchedulerHTTP

/// CompressionMiddleware: negotiation, thresholds, excluded types, streams; checked by decoding
/// with zlib and with Python's zlib, in-process and over a loopback server.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareCompressionTests {
    static let text: [UInt8] = Array(
        (0..<400).map { "line \($0): the quick brown fox jumps over the lazy dog\n" }.joined().utf8)
    static let json: [UInt8] = Array(#"{"id":42,"name":"Ada"}"#.utf8)

    /// 2 MiB that barely compress: zlib's output outgrows its first buffer.
    static let random: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<(2 << 20)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }()

    static func router(_ middleware: CompressionMiddleware = CompressionMiddleware(), asyncChain: Bool = false) throws
        -> HTTPRouter
    {
        var router = HTTPRouter()
        if asyncChain { router.use(MW.AsyncOnly()) }
        router.use(middleware)
        try router.get("/text") { _, _ in
            HTTPServerResponse(
                status: .ok, headerFields: [.contentType: "text/plain", .eTag: "\"v1\""], body: .bytes(text))
        }
        try router.get("/json") { _, _ in
            HTTPServerResponse(status: .ok, headerFields: [.contentType: "application/json"], body: .bytes(json))
        }
        try router.get("/random") { _, _ in
            HTTPServerResponse(
                status: .ok, headerFields: [.contentType: "application/octet-stream"], body: .bytes(random))
        }
        try router.get("/png") { _, _ in
            HTTPServerResponse(status: .ok, headerFields: [.contentType: "image/png"], body: .bytes(text))
        }
        try router.get("/encoded") { _, _ in
            HTTPServerResponse(status: .ok, headerFields: [.contentEncoding: "br"], body: .bytes(text))
        }
        try router.get("/stream") { _, _ in
            HTTPServerResponse(
                status: .ok, headerFields: [.contentType: "text/plain"],
                body: .stream { writer in
                    for index in 0..<5 { try await writer.write(Array("part \(index) ".utf8) + text) }
                    writer.setTrailers([MW.name("X-Parts"): "5"])
                })
        }
        return router
    }

    static func get(_ path: String, _ accept: String?, router: HTTPRouter? = nil) async throws -> HTTPServerResponse {
        var fields = HTTPFields()
        if let accept { fields[.acceptEncoding] = accept }
        return try await (router ?? Self.router()).route(MW.request(.get, path, fields))
    }

    @Test(
        arguments: [
            ("gzip", Deflater.Format.gzip), ("deflate", .deflate), ("GZIP", .gzip), ("x-gzip", .gzip),
            ("deflate, gzip", .gzip), ("gzip;q=0.5, deflate;q=0.8", .deflate), ("gzip;q=0, deflate", .deflate),
            ("*", .gzip), ("br, *;q=0.1", .gzip), ("gzip ; q=1.0", .gzip),
        ] as [(String, Deflater.Format)])
    func negotiates(_ accept: String, _ expected: Deflater.Format) {
        #expect(ContentCodingNegotiation.choose(accept) == expected)
    }

    @Test(arguments: ["identity", "br", "gzip;q=0", "*;q=0", "gzip;q=0, deflate;q=0", "", "gzip;q=abc"])
    func refuses(_ accept: String) {
        #expect(ContentCodingNegotiation.choose(accept) == nil)
    }

    @Test(arguments: [("gzip", "gzip", false), ("deflate", "deflate", false), ("gzip", "gzip", true)])
    func compressesALargeBody(_ accept: String, _ coding: String, _ asyncChain: Bool) async throws {
        let response = try await Self.get("/text", accept, router: Self.router(asyncChain: asyncChain))
        let fields = response.head.headerFields
        #expect(fields[.contentEncoding] == coding)
        #expect(fields[.vary] == "Accept-Encoding")
        #expect(fields[.eTag] == "W/\"v1\"")
        let body = try #require(response.body.bytes)
        #expect(body.count < Self.text.count / 4)
        #expect(try Inflater.all(body) == Self.text)
        #expect(try MW.pythonInflate(body) == Self.text)
        if coding == "gzip" { #expect(Array(body.prefix(2)) == [0x1f, 0x8b]) } else { #expect(body.first == 0x78) }
    }

    @Test func incompressibleBytesStillRoundTrip() async throws {
        let response = try await Self.get("/random", "deflate")
        let body = try #require(response.body.bytes)
        #expect(response.head.headerFields[.contentEncoding] == "deflate")
        #expect(body.count > Self.random.count)
        #expect(try Inflater.all(body) == Self.random)
    }

    @Test func refusedCodingLeavesTheBodyButStillVaries() async throws {
        let response = try await Self.get("/text", "gzip;q=0, identity")
        #expect(response.head.headerFields[.contentEncoding] == nil)
        #expect(response.head.headerFields[.vary] == "Accept-Encoding")
        #expect(response.body.bytes == Self.text)
    }

    @Test func smallBodiesUnderTheThresholdStayAsTheyAre() async throws {
        let response = try await Self.get("/json", "gzip")
        #expect(response.head.headerFields[.contentEncoding] == nil)
        #expect(response.body.bytes == Self.json)
        // A threshold of 0 compresses even a small JSON answer.
        let small = try await Self.get("/json", "gzip", router: Self.router(CompressionMiddleware(minimumSize: 0)))
        #expect(small.head.headerFields[.contentEncoding] == "gzip")
        #expect(try Inflater.all(try #require(small.body.bytes)) == Self.json)
    }

    @Test(arguments: ["/png", "/encoded"])
    func compressedTypesAndEncodedBodiesStayAsTheyAre(_ path: String) async throws {
        let response = try await Self.get(path, "gzip")
        #expect(response.body.bytes == Self.text)
        #expect(response.head.headerFields[.vary] == nil)
        #expect(response.head.headerFields[.contentEncoding] == (path == "/encoded" ? "br" : nil))
    }

    @Test func excludedTypes() {
        for type in ["image/png", "video/mp4", "audio/ogg", "application/zip", "application/gzip; x=1", "font/woff2", " Image/PNG ; x=1", "APPLICATION/ZIP\t"] {
            #expect(CompressionMiddleware.isCompressedType(type), "\(type)")
        }
        for type in ["text/html; charset=utf-8", "application/json", "image/svg+xml", "application/javascript", "\tapplication/json ;charset=utf-8", "Text/Plain"] {
            #expect(!CompressionMiddleware.isCompressedType(type), "\(type)")
        }
    }

    @Test(arguments: [false, true]) func compressesAStreamWriteByWriteWithSyncFlush(_ asyncChain: Bool) async throws {
        let response = try await Self.get("/stream", "gzip", router: Self.router(asyncChain: asyncChain))
        #expect(response.head.headerFields[.contentEncoding] == "gzip")
        #expect(response.body.byteCount == nil)
        let writes = try await MW.streamWrites(response)
        // Five flushed writes and the stream's end.
        try #require(writes.count == 6)
        let inflater = Inflater()
        for (index, write) in writes.prefix(5).enumerated() {
            // Each flushed write decodes at once to exactly what the handler wrote.
            #expect(try inflater.feed(write) == Array("part \(index) ".utf8) + Self.text)
        }
        #expect(try inflater.feed(writes[5]).isEmpty)
        #expect(inflater.ended)
        let expected = (0..<5).flatMap { Array("part \($0) ".utf8) + Self.text }
        #expect(try MW.pythonInflate(writes.flatMap { $0 }) == expected)
    }

    @Test func overALoopbackServer() async throws {
        try await MW.withRouterServer(try Self.router()) { port in
            let whole = try await MW.exchange(
                port, "GET /text HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br;q=1, gzip;q=0.9\r\n\r\n")
            let streamed = try await MW.exchange(
                port, "GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: deflate\r\n\r\n")
            let plain = try await MW.exchange(port, "GET /text HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(whole.field("Content-Encoding") == "gzip")
            #expect(whole.field("Content-Length") == "\(whole.body.count)")
            #expect(whole.field("Vary") == "Accept-Encoding")
            #expect(try MW.pythonInflate(whole.body) == Self.text)

            #expect(streamed.field("Content-Encoding") == "deflate")
            #expect(streamed.field("Transfer-Encoding") == "chunked")
            #expect(streamed.trailers.first?.value == "5")
            let expected = (0..<5).flatMap { Array("part \($0) ".utf8) + Self.text }
            #expect(try MW.pythonInflate(streamed.body) == expected)
            // Each chunk on the wire decodes as it arrives (a flushed write per chunk).
            let inflater = Inflater()
            var offset = 0
            for (index, size) in streamed.chunkSizes.prefix(5).enumerated() {
                let chunk = Array(streamed.body[offset..<offset + size])
                offset += size
                #expect(try inflater.feed(chunk) == Array("part \(index) ".utf8) + Self.text)
            }

            #expect(plain.field("Content-Encoding") == nil)
            #expect(plain.body == Self.text)
        }
    }
}
