import Synchronization
import HTTPTypes
import SchedulerHTTP
import Testing

/// A request from the server keeps its head as the bytes that arrived: `method`, `path`,
/// `authority` and the header lookups read those bytes, and `head` is built on first read. Both
/// must say exactly what the built head says, for every form of request.
@Suite(.timeLimit(.minutes(2))) struct LazyRequestHeadTests {
    /// Answers with what the byte readers say, then with what the built head says.
    struct Compare: HTTPResponder {
        func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
            let names = ["Accept", "Cookie", "x-multi", "Host", "X-Absent", "x-obs"].map { HTTPField.Name($0)! }
            // Read before anything builds the head, then from the head itself.
            let read = Self.describe(
                method: request.method, path: request.path, authority: request.authority,
                joined: names.map { request.headerValue($0) }, first: names.map { request.firstHeaderValue($0) })
            let head = request.head
            let built = Self.describe(
                method: head.method, path: head.path, authority: head.authority,
                joined: names.map { head.headerFields[$0] },
                first: names.map { name in head.headerFields.first { $0.name == name }?.value })
            return .text(read == built ? "same \(read)" : "differ\nread:  \(read)\nbuilt: \(built)")
        }

        static func describe(
            method: HTTPRequest.Method, path: String?, authority: String?, joined: [String?], first: [String?]
        ) -> String {
            "\(method.rawValue) \(path ?? "-") \(authority ?? "-") \(joined.map { $0 ?? "-" }) \(first.map { $0 ?? "-" })"
        }
    }

    static let requests: [(String, String)] = [
        (
            "GET /a/b?c=d HTTP/1.1\r\nHost: example.test:8080\r\nAccept: text/html\r\naccept: */*\r\n\r\n",
            #"same GET /a/b?c=d example.test:8080 ["text/html, */*", "-", "-", "-", "-", "-"] ["text/html", "-", "-", "-", "-", "-"]"#
        ),
        (
            "GET /x HTTP/1.1\r\nhost: h\r\nCOOKIE: a=1\r\nCookie: b=2\r\nX-Multi: 1\r\nx-MULTI: 2\r\nX-MULTI: 3\r\n\r\n",
            #"same GET /x h ["-", "a=1; b=2", "1, 2, 3", "-", "-", "-"] ["-", "a=1", "1", "-", "-", "-"]"#
        ),
        (
            "GET http://Origin.test:81/p?q HTTP/1.1\r\nHost: other.test\r\n\r\n",
            #"same GET /p?q Origin.test:81 ["-", "-", "-", "-", "-", "-"] ["-", "-", "-", "-", "-", "-"]"#
        ),
        (
            "OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Obs: caf\u{E9}\r\n\r\n",
            #"same OPTIONS * h ["-", "-", "-", "-", "-", "café"] ["-", "-", "-", "-", "-", "café"]"#
        ),
        (
            "CONNECT tunnel.test:443 HTTP/1.1\r\nHost: tunnel.test:443\r\n\r\n",
            #"same CONNECT - tunnel.test:443 ["-", "-", "-", "-", "-", "-"] ["-", "-", "-", "-", "-", "-"]"#
        ),
        (
            // CONNECT's target is an authority even when it starts with a slash (no path).
            "CONNECT /tunnel HTTP/1.1\r\nHost: h\r\n\r\n",
            #"same CONNECT - /tunnel ["-", "-", "-", "-", "-", "-"] ["-", "-", "-", "-", "-", "-"]"#
        ),
        (
            "DELETE /users/7 HTTP/1.0\r\n\r\n",
            #"same DELETE /users/7 - ["-", "-", "-", "-", "-", "-"] ["-", "-", "-", "-", "-", "-"]"#
        ),
    ]

    @Test(arguments: requests)
    func byteReadersSayWhatTheBuiltHeadSays(_ request: String, _ expected: String) async throws {
        try await withResponder(Compare()) { port in
            let client = try RawClient(port: port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == expected)
        }
    }

    /// Many tasks reading one request's head at once all get the same head (it is built by
    /// whichever comes first, and stored once).
    @Test func concurrentReadersSeeOneHead() async throws {
        let responder = HTTPClosureResponder { request in
            let heads = await withTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let head = request.head
                        return "\(head.method) \(head.path ?? "-") \(head.headerFields.map { "\($0.name)=\($0.value)" })"
                    }
                }
                var all: Set<String> = []
                for await head in group { all.insert(head) }
                return all
            }
            return .text(heads.sorted().joined(separator: "\n"))
        }
        try await withResponder(responder) { port in
            let client = try RawClient(port: port)
            for index in 0..<50 {
                try client.send("GET /r/\(index) HTTP/1.1\r\nHost: h\r\nX-A: \(index)\r\nX-B: b\r\n\r\n")
                #expect(try client.readResponse().text == #"GET /r/\#(index) ["X-A=\#(index)", "X-B=b"]"#)
            }
        }
    }

    /// A middleware that changes the head: the readers then say what the changed head says, and
    /// the router routes by the changed path.
    @Test func changedHeadIsWhatReadersSee() async throws {
        struct Rewrite: HTTPMiddleware {
            func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
                -> HTTPServerResponse
            {
                var request = request
                request.head.path = "/to"
                request.head.headerFields[HTTPField.Name("X-Added")!] = "yes"
                request.head.headerFields[.accept] = nil
                return try await next(request, context)
            }
        }
        var router = HTTPRouter()
        router.use(Rewrite())
        try router.get("/to") { request, _ in
            "\(request.path ?? "-") \(request.headerValue(HTTPField.Name("x-added")!) ?? "-") \(request.headerValue(.accept) ?? "-")"
        }
        try await withResponder(router) { port in
            let client = try RawClient(port: port)
            try client.send("GET /from HTTP/1.1\r\nHost: h\r\nAccept: a/b\r\n\r\n")
            #expect(try client.readResponse().text == "/to yes -")
        }
    }

    /// A connection writes each new head over its last one once no request holds it: a request a
    /// handler kept keeps its own head, and a lone request's head is written over by the next.
    @Test func aKeptRequestKeepsItsHeadWhileLaterOnesArrive() async throws {
        let kept = Mutex<[HTTPServerRequest]>([])
        let responder = HTTPClosureResponder { request in
            if request.path == "/keep" { kept.withLock { $0.append(request) } }
            let earlier = kept.withLock { $0 }.map { "\($0.path ?? "-") \($0.headerValue(HTTPField.Name("x-a")!) ?? "-")" }
            return .text("\(request.path ?? "-") \(request.headerValue(HTTPField.Name("x-a")!) ?? "-"); \(earlier)")
        }
        try await withResponder(responder) { port in
            let client = try RawClient(port: port)
            try client.send("GET /keep HTTP/1.1\r\nHost: h\r\nX-A: first\r\n\r\n")
            #expect(try client.readResponse().text == #"/keep first; ["/keep first"]"#)
            for index in 0..<3 {
                // Longer and shorter heads than the kept one, one at a time and pipelined.
                let padding = String(repeating: "p", count: index * 40)
                try client.send(
                    "GET /next/\(padding) HTTP/1.1\r\nHost: h\r\nX-A: \(index)\r\n\r\n"
                        + "GET /n HTTP/1.1\r\nHost: h\r\nX-A: short\r\n\r\n")
                #expect(try client.readResponse().text == #"/next/\#(padding) \#(index); ["/keep first"]"#)
                #expect(try client.readResponse().text == #"/n short; ["/keep first"]"#)
            }
            kept.withLock { $0.removeAll() }
            try client.send("GET /after HTTP/1.1\r\nHost: h\r\nX-A: after\r\n\r\n")
            #expect(try client.readResponse().text == "/after after; []")
        }
    }
}
