import Foundation
import HTTPTypes
import SchedulerHTTP
import Testing

/// StaticFileMiddleware: types, validators, 304, ranges (single, multiple, 416), path escapes
/// and symlinks refused, directory index, chunked reading; in-process and over loopback.
@Suite(.timeLimit(.minutes(2))) struct MiddlewareStaticFileTests {
    /// A temporary tree: `<base>/public` is the root, `<base>/secret.txt` lies outside it.
    final class Tree {
        let base: String
        let root: String
        let big: [UInt8]
        let text = Array("0123456789abcdefghij".utf8)

        init() throws {
            base = NSTemporaryDirectory() + "static-\(UUID().uuidString)"
            root = base + "/public"
            big = Tree.bigBytes
            let files = FileManager.default
            try files.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
            try files.createDirectory(atPath: root + "/noindex", withIntermediateDirectories: true)
            try Data(text).write(to: URL(fileURLWithPath: root + "/a.txt"))
            try Data(big).write(to: URL(fileURLWithPath: root + "/big.bin"))
            try Data("<h1>home</h1>".utf8).write(to: URL(fileURLWithPath: root + "/index.html"))
            try Data("<h1>sub</h1>".utf8).write(to: URL(fileURLWithPath: root + "/sub/index.html"))
            try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/sub/data.json"))
            try Data("TOP SECRET".utf8).write(to: URL(fileURLWithPath: base + "/secret.txt"))
            try files.createSymbolicLink(atPath: root + "/inside-link.txt", withDestinationPath: root + "/a.txt")
            try files.createSymbolicLink(atPath: root + "/outside-link.txt", withDestinationPath: base + "/secret.txt")
            try files.createSymbolicLink(atPath: root + "/outside-dir", withDestinationPath: base)
        }

        deinit { try? FileManager.default.removeItem(atPath: base) }

        /// 3 MiB and a bit of varied bytes, made once for all tests.
        static let bigBytes: [UInt8] = {
            var state: UInt32 = 2_463_534_242
            return [UInt8](unsafeUninitializedCapacity: (3 << 20) + 123) { buffer, count in
                for index in buffer.indices {
                    state ^= state << 13
                    state ^= state >> 17
                    state ^= state << 5
                    buffer[index] = UInt8(truncatingIfNeeded: state)
                }
                count = buffer.count
            }
        }()

        func router(chunkSize: Int = 64 << 10, prefix: String = "/") throws -> HTTPRouter {
            var router = HTTPRouter()
            router.use(try StaticFileMiddleware(root: root, urlPrefix: prefix, chunkSize: chunkSize))
            try router.get("/api/ping") { _, _ in "pong" }
            return router
        }
    }

    static func get(_ router: HTTPRouter, _ path: String, _ fields: HTTPFields = [:]) async throws
        -> (HTTPServerResponse, [UInt8])
    {
        let response = try await router.route(MW.request(.get, path, fields))
        return (response, try await MW.bytes(response))
    }

    @Test func servesAFileWithTypeAndValidators() async throws {
        let tree = try Tree()
        let (response, body) = try await Self.get(try tree.router(), "/a.txt?x=1")
        let fields = response.head.headerFields
        #expect(response.head.status == .ok)
        #expect(body == tree.text)
        #expect(fields[.contentType] == "text/plain; charset=utf-8")
        #expect(fields[.acceptRanges] == "bytes")
        #expect(fields[.eTag]?.hasPrefix("\"14-") == true)
        #expect(fields[.lastModified]?.hasSuffix(" GMT") == true)
        #expect(response.body.byteCount == tree.text.count)
        let (json, _) = try await Self.get(try tree.router(), "/sub/data.json")
        #expect(json.head.headerFields[.contentType] == "application/json")
    }

    @Test func notAFileGoesOnToTheRouter() async throws {
        let tree = try Tree()
        let router = try tree.router()
        #expect(try await Self.get(router, "/api/ping").1 == Array("pong".utf8))
        #expect(try await Self.get(router, "/missing.txt").0.head.status == .notFound)
        #expect(try await router.route(MW.request(.post, "/a.txt")).head.status == .notFound)
        #expect(try await Self.get(router, "/noindex/").0.head.status == .notFound)
    }

    @Test func directoryIndexAndRedirect() async throws {
        let tree = try Tree()
        let router = try tree.router()
        #expect(try await Self.get(router, "/").1 == Array("<h1>home</h1>".utf8))
        let (sub, body) = try await Self.get(router, "/sub/")
        #expect(body == Array("<h1>sub</h1>".utf8))
        #expect(sub.head.headerFields[.contentType] == "text/html; charset=utf-8")
        let (redirect, _) = try await Self.get(router, "/sub")
        #expect(redirect.head.status == .movedPermanently)
        #expect(redirect.head.headerFields[.location] == "/sub/")
    }

    @Test func conditionalRequestsGet304() async throws {
        let tree = try Tree()
        let router = try tree.router()
        let (first, _) = try await Self.get(router, "/a.txt")
        let tag = try #require(first.head.headerFields[.eTag])
        let modified = try #require(first.head.headerFields[.lastModified])
        for fields: HTTPFields in [
            [.ifNoneMatch: tag], [.ifNoneMatch: "\"nope\", W/\(tag)"], [.ifNoneMatch: "*"],
            [.ifModifiedSince: modified], [.ifModifiedSince: "Fri, 01 Jan 2100 00:00:00 GMT"],
        ] {
            let (response, body) = try await Self.get(router, "/a.txt", fields)
            #expect(response.head.status == .notModified, "\(fields)")
            #expect(body.isEmpty)
            #expect(response.head.headerFields[.eTag] == tag)
        }
        for fields: HTTPFields in [
            [.ifNoneMatch: "\"other\""], [.ifModifiedSince: "Thu, 01 Jan 1970 00:00:00 GMT"],
            [.ifModifiedSince: "not a date"],
            // If-None-Match wins over If-Modified-Since.
            [.ifNoneMatch: "\"other\"", .ifModifiedSince: modified],
        ] {
            let (response, body) = try await Self.get(router, "/a.txt", fields)
            #expect(response.head.status == .ok, "\(fields)")
            #expect(body == tree.text)
        }
    }

    @Test(arguments: [
        ("bytes=2-5", 2..<6), ("bytes=-3", 17..<20), ("bytes=15-", 15..<20), ("bytes=0-0", 0..<1),
        ("bytes=10-999", 10..<20), (" bytes=3-4 ", 3..<5),
    ])
    func singleRange(_ range: String, _ expected: Range<Int>) async throws {
        let tree = try Tree()
        let (response, body) = try await Self.get(try tree.router(), "/a.txt", [.range: range])
        #expect(response.head.status == .partialContent)
        #expect(body == Array(tree.text[expected]))
        #expect(
            response.head.headerFields[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/20")
    }

    @Test(arguments: ["bytes=20-", "bytes=100-200", "bytes=-0", "bytes=25-30, 40-"])
    func unsatisfiableRangeIs416(_ range: String) async throws {
        let tree = try Tree()
        let (response, _) = try await Self.get(try tree.router(), "/a.txt", [.range: range])
        #expect(response.head.status == .rangeNotSatisfiable)
        #expect(response.head.headerFields[.contentRange] == "bytes */20")
    }

    @Test(arguments: ["items=0-1", "bytes=5-2", "bytes=a-b", "bytes=1-2,", "bytes=+1-2"])
    func malformedRangeServesTheWhole(_ range: String) async throws {
        let tree = try Tree()
        let (response, body) = try await Self.get(try tree.router(), "/a.txt", [.range: range])
        #expect(response.head.status == .ok)
        #expect(body == tree.text)
    }

    /// Splits a multipart/byteranges body into (Content-Range, bytes) parts.
    static func parts(_ body: [UInt8], boundary: String) throws -> [(String, [UInt8])] {
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasSuffix("\r\n--\(boundary)--\r\n"))
        var parts: [(String, [UInt8])] = []
        let delimiter = Array("\r\n--\(boundary)".utf8)
        var starts: [Int] = []
        var index = 0
        while index + delimiter.count <= body.count {
            if Array(body[index..<index + delimiter.count]) == delimiter { starts.append(index) }
            index += 1
        }
        for (position, start) in starts.dropLast().enumerated() {
            let part = Array(body[(start + delimiter.count)..<starts[position + 1]])
            let headEnd = try #require(String(decoding: part, as: UTF8.self).range(of: "\r\n\r\n"))
            let head = String(decoding: part, as: UTF8.self)[..<headEnd.lowerBound]
            let headBytes = head.utf8.count + 4
            let range = try #require(head.split(separator: "\r\n").first { $0.hasPrefix("Content-Range: ") })
            parts.append((String(range.dropFirst("Content-Range: ".count)), Array(part[headBytes...])))
        }
        return parts
    }

    @Test func multipleRangesAreMultipart() async throws {
        let tree = try Tree()
        let (response, body) = try await Self.get(try tree.router(), "/a.txt", [.range: "bytes=0-1, 4-6, -2"])
        #expect(response.head.status == .partialContent)
        let type = try #require(response.head.headerFields[.contentType])
        #expect(type.hasPrefix("multipart/byteranges; boundary="))
        #expect(response.body.byteCount == body.count)
        let parts = try Self.parts(body, boundary: String(type.dropFirst("multipart/byteranges; boundary=".count)))
        #expect(parts.map(\.0) == ["bytes 0-1/20", "bytes 4-6/20", "bytes 18-19/20"])
        #expect(parts.map(\.1) == [Array("01".utf8), Array("456".utf8), Array("ij".utf8)])
    }

    @Test func ifRangeMismatchServesTheWhole() async throws {
        let tree = try Tree()
        let router = try tree.router()
        let tag = try #require(try await Self.get(router, "/a.txt").0.head.headerFields[.eTag])
        let (stale, staleBody) = try await Self.get(router, "/a.txt", [.range: "bytes=0-1", .ifRange: "\"old\""])
        #expect(stale.head.status == .ok)
        #expect(staleBody == tree.text)
        let (fresh, _) = try await Self.get(router, "/a.txt", [.range: "bytes=0-1", .ifRange: tag])
        #expect(fresh.head.status == .partialContent)
    }

    @Test(arguments: [
        "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/sub/../../secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt", "/a.txt%00", "/a.txt%00.png", "/..%2fsecret.txt", "/..%5csecret.txt",
        "/sub\\..\\..\\secret.txt", "/./a.txt", "/%zz", "/sub/%2f..%2f..%2fsecret.txt",
    ])
    func pathEscapesAreRefused(_ path: String) async throws {
        let tree = try Tree()
        let (response, body) = try await Self.get(try tree.router(), path)
        #expect(response.head.status == .badRequest, "\(path)")
        #expect(!String(decoding: body, as: UTF8.self).contains("SECRET"))
    }

    @Test func symlinksOutsideTheRootAreRefusedInsideServed() async throws {
        let tree = try Tree()
        let router = try tree.router()
        for path in ["/outside-link.txt", "/outside-dir/secret.txt"] {
            let (response, body) = try await Self.get(router, path)
            #expect(response.head.status == .forbidden, "\(path)")
            #expect(!String(decoding: body, as: UTF8.self).contains("SECRET"))
        }
        #expect(try await Self.get(router, "/inside-link.txt").1 == tree.text)
        // Out through a symlink and back in: the real location is inside, so it is served.
        #expect(try await Self.get(router, "/outside-dir/public/a.txt").1 == tree.text)
    }

    @Test func underAPrefix() async throws {
        let tree = try Tree()
        let router = try tree.router(prefix: "/static/")
        #expect(try await Self.get(router, "/static/a.txt").1 == tree.text)
        #expect(try await Self.get(router, "/a.txt").0.head.status == .notFound)
        #expect(try await Self.get(router, "/staticx/a.txt").0.head.status == .notFound)
        #expect(try await Self.get(router, "/api/ping").1 == Array("pong".utf8))
    }

    @Test func readsInChunksOfTheConfiguredSize() async throws {
        let tree = try Tree()
        let response = try await tree.router(chunkSize: 100_000).route(MW.request(.get, "/big.bin"))
        let writes = try await MW.streamWrites(response).filter { !$0.isEmpty }
        #expect(writes.count == (tree.big.count + 99_999) / 100_000)
        #expect(writes.allSatisfy { $0.count <= 100_000 })
        #expect(writes.flatMap { $0 } == tree.big)
    }

    @Test func rootMustBeADirectory() throws {
        let tree = try Tree()
        #expect(throws: StaticFileError.rootNotFound(tree.root + "/a.txt")) {
            try StaticFileMiddleware(root: tree.root + "/a.txt")
        }
        #expect(throws: StaticFileError.self) { try StaticFileMiddleware(root: tree.base + "/none") }
    }

    @Test func overALoopbackServer() async throws {
        let tree = try Tree()
        try await MW.withRouterServer(try tree.router()) { port in
            let whole = try await MW.exchange(port, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try await MW.exchange(port, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", noBody: true)
            let ranged = try await MW.exchange(
                port, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000000-1999999\r\n\r\n")
            let multi = try await MW.exchange(
                port, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9,3000000-\r\n\r\n")
            let conditional = try await MW.exchange(
                port, "GET /big.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(whole.field("ETag") ?? "")\r\n\r\n")
            let escape = try await MW.exchange(port, "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = try await MW.exchange(port, "GET /../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(raw.status == 400)
            #expect(!raw.text.contains("SECRET"))
            #expect(whole.status == 200)
            #expect(whole.field("Content-Length") == "\(tree.big.count)")
            #expect(whole.body == tree.big)
            #expect(head.status == 200)
            #expect(head.field("Content-Length") == "\(tree.big.count)")
            #expect(ranged.status == 206)
            #expect(ranged.field("Content-Range") == "bytes 1000000-1999999/\(tree.big.count)")
            #expect(ranged.body == Array(tree.big[1_000_000..<2_000_000]))
            #expect(multi.status == 206)
            let type = try #require(multi.field("Content-Type"))
            let parts = try Self.parts(
                multi.body, boundary: String(type.dropFirst("multipart/byteranges; boundary=".count)))
            #expect(
                parts.map(\.0) == [
                    "bytes 0-9/\(tree.big.count)", "bytes 3000000-\(tree.big.count - 1)/\(tree.big.count)",
                ])
            #expect(parts.map(\.1) == [Array(tree.big[0..<10]), Array(tree.big[3_000_000...])])
            #expect(conditional.status == 304)
            #expect(escape.status == 400)
            #expect(!escape.text.contains("SECRET"))
        }
    }
}
