import HTTPTypes
import Testing

@testable import SchedulerHTTP

/// The response head as written on the wire: the status line with the handler's reason phrase,
/// its fields in order, heads far longer than the encoder's 1 KiB stack buffer, the server's own
/// framing fields in place of the handler's, and changes made through `head` (status and fields
/// as one `HTTPResponse`) as well as through `status` and `headerFields`.
@Suite(.timeLimit(.minutes(1))) struct ResponseHeadTests {
    /// `count` fields `X-Field-i` with `length`-byte values.
    static func fields(_ count: Int, length: Int) -> [(String, String)] {
        (0..<count).map { index in
            ("X-Field-\(index)", String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: length))
        }
    }

    @Test(arguments: [1, 12, 60])
    func headsOfAnySizeGoOutWhole(fieldCount: Int) async throws {
        let sent = Self.fields(fieldCount, length: 100)
        var router = HTTPRouter()
        try router.get("/head") { _, _ in
            var response = HTTPServerResponse(
                status: HTTPResponse.Status(code: 299, reasonPhrase: "Fine Enough"), body: .string("ok"))
            for (name, value) in sent { response.headerFields.append(HTTPField(name: .init(name)!, value: value)) }
            return response
        }
        try await MW.withRouterServer(router) { port in
            let response = try await MW.exchange(port, "GET /head HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 299 && response.reason == "Fine Enough")
            let own = response.fields.filter { $0.name.hasPrefix("X-Field-") }
            #expect(own.map(\.name) == sent.map(\.0) && own.map(\.value) == sent.map(\.1))
            #expect(response.field("Content-Length") == "2" && response.text == "ok")
            #expect(response.field("Date")?.hasSuffix(" GMT") == true)
        }
    }

    @Test func theServerFramesTheBodyItself() async throws {
        var router = HTTPRouter()
        try router.get("/framed") { _, _ in
            var response = HTTPServerResponse.text("four")
            response.headerFields[.contentLength] = "999"
            response.headerFields[.transferEncoding] = "gzip"
            response.headerFields[.date] = "yesterday"
            response.headerFields[.connection] = "Close"
            return response
        }
        try await MW.withRouterServer(router) { port in
            try await MW.offPool {
                let client = try RawClient(port: port)
                try client.send("GET /framed HTTP/1.1\r\nHost: x\r\n\r\nGET /framed HTTP/1.1\r\nHost: x\r\n\r\n")
                let first = try client.readResponse()
                #expect(first.fields.filter { $0.name.lowercased() == "content-length" }.map(\.value) == ["4"])
                #expect(first.field("Transfer-Encoding") == nil && first.field("Date") != "yesterday")
                // The handler's `Connection: Close` is honoured: the answer says so, nothing follows.
                #expect(first.field("Connection") == "close" && first.text == "four")
                #expect(client.readsEndOfStream())
            }
        }
    }

    @Test func changesThroughHeadAreKept() async throws {
        var response = HTTPServerResponse.text("x")
        response.head.status = .created
        response.head.headerFields[.server] = "test"
        #expect(response.status == .created && response.headerFields[.server] == "test")
        #expect(response.head.headerFields[.contentType] == "text/plain; charset=utf-8")
        response.head = HTTPResponse(status: .accepted, headerFields: [.location: "/a"])
        #expect(response.status.code == 202 && response.headerFields[.location] == "/a")
        #expect(response.headerFields[.contentType] == nil)
        let copy = HTTPServerResponse(head: response.head)
        #expect(copy.head == response.head)
        // A `.text` response's shared fields are copied, not changed, when one response adds a field.
        #expect(HTTPServerResponse.text("y").headerFields.count == 1)
    }

    /// A response made with a ready-made field list is written from that list's bytes: they must
    /// be what the walk over the same fields writes, and any change to the fields must leave the
    /// walk to write them.
    @Test(arguments: [PresetFields.plainText, .json, .octetStream])
    func presetFieldsAreWrittenAsTheirFields(preset: PresetFields) {
        func head(_ response: HTTPServerResponse) -> String {
            var out: [UInt8] = []
            response.encodeHead(
                framing: .length(3), keepAlive: true, version: .http1_1, date: Array("today".utf8), into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        let fast = HTTPServerResponse(status: .ok, preset: preset, body: .empty)
        let walked = HTTPServerResponse(status: .ok, headerFields: preset.fields)
        #expect(fast.preset == preset && walked.preset == nil)
        #expect(head(fast) == head(walked))
        #expect(head(fast).contains("\r\nContent-Type: "))
        var changed = fast
        changed.headerFields.append(HTTPField(name: .server, value: "s"))
        #expect(changed.preset == nil && head(changed).hasSuffix("Server: s\r\nDate: today\r\nContent-Length: 3\r\n\r\n"))
        var replaced = fast
        replaced.headerFields = [.contentType: "text/html"]
        #expect(replaced.preset == nil && head(replaced).contains("Content-Type: text/html\r\n"))
        #expect(!head(replaced).contains("Content-Type: " + (preset.fields[.contentType] ?? "")))
        // Reading the fields keeps the preset; they read as the list it stands for.
        #expect(fast.headerFields == preset.fields && fast.preset == preset)
    }
}
