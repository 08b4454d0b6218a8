import HTTPTypes
import SchedulerHTTP
import SchedulerPool
import Testing

/// The connection pool against the project's own server: reuse, limits, order, idle timeout,
/// source addresses from pool bindings.
@Suite(.timeLimit(.minutes(1))) struct PoolTests {
    @Test func tenRequestsOneConnection() async throws {
        try await withServer { port in
            let client = try makeClient()
            var peers: Set<String> = []
            for _ in 0..<10 { peers.insert(try await client.get("http://127.0.0.1:\(port)/peer").body.string()) }
            #expect(peers.count == 1, "\(peers)")
            #expect(client.idleConnectionCount(to: "http://127.0.0.1:\(port)/") == 1)
            await client.shutdown()
        }
    }

    @Test func perKeyLimitServesWaitersInOrder() async throws {
        let recorder = Recorder()
        try await withServer(recorder: recorder) { port in
            let client = try makeClient { $0.maxConnectionsPerKey = 1 }
            let blocker = Task { try await client.get("http://127.0.0.1:\(port)/slow").body.string() }
            try await Task.sleep(for: .milliseconds(50))
            var tasks: [Task<String, any Error>] = []
            for index in 0..<6 {
                tasks.append(Task { try await client.get("http://127.0.0.1:\(port)/order?\(index)").body.string() })
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await blocker.value == "slow done")
            for (index, task) in tasks.enumerated() { #expect(try await task.value == "\(index)") }
            #expect(recorder.all == (0..<6).map(String.init))
            var peers: Set<String> = []
            for _ in 0..<3 { peers.insert(try await client.get("http://127.0.0.1:\(port)/peer").body.string()) }
            #expect(peers.count == 1)
            await client.shutdown()
        }
    }

    @Test func idleConnectionsCloseAfterTheTimeout() async throws {
        try await withServer { port in
            let client = try makeClient { $0.idleTimeout = .milliseconds(200) }
            let url = "http://127.0.0.1:\(port)/"
            _ = try await client.get(url).body.string()
            #expect(client.idleConnectionCount(to: url) == 1)
            try await Task.sleep(for: .milliseconds(700))
            #expect(client.idleConnectionCount(to: url) == 0)
            #expect(try await client.get(url).body.string() == "Hello, World!")
            await client.shutdown()
        }
    }

    @Test func sourceAddressFromPoolBindings() async throws {
        let pool = IPPool(name: "http-client-test")
        try pool.addCIDRRange("127.81.0.0/29")
        let first = try pool.allocate(subinstance: "t", resource: "a", type: .custom("http"))
        let second = try pool.allocate(subinstance: "t", resource: "b", type: .custom("http"))
        let firstBinding = try #require(pool.binding(for: first))
        let secondBinding = try #require(pool.binding(for: second))
        try await withServer { port in
            let url = "http://127.0.0.1:\(port)/peer"
            let client = try makeClient { $0.source = .binding(firstBinding) }
            let seenFirst = try await client.get(url).body.string()
            #expect(seenFirst.hasPrefix("\(first):"), "\(seenFirst)")
            let seenSecond = try await client.execute(try HTTPClientRequest(url: url, source: .binding(secondBinding)))
                .body.string()
            #expect(seenSecond.hasPrefix("\(second):"), "\(seenSecond)")
            let plain = try await client.execute(
                try HTTPClientRequest(url: url, source: .address(SocketAddress(ip: IPAddress("127.81.0.7")!, port: 0))))
                .body.string()
            #expect(plain.hasPrefix("127.81.0.7:"), "\(plain)")
            // Released: refused, even with a pooled connection from that address still open.
            _ = try pool.release(first)
            await #expect(throws: HTTPClientError.bindingReleased("\(first) (t/a)")) { _ = try await client.get(url) }
            await client.shutdown()
        }
    }

    @Test func redirectsFollowTheRules() async throws {
        try await withServer { port in
            let base = "http://127.0.0.1:\(port)"
            let client = try makeClient()
            let ten = try await client.get("\(base)/redirect/10")
            #expect(try await ten.body.string() == "done")
            #expect(ten.url.target == "/redirect/0")
            await #expect(throws: HTTPClientError.tooManyRedirects(10)) { _ = try await client.get("\(base)/redirect/11") }
            await #expect(throws: HTTPClientError.tooManyRedirects(10)) { _ = try await client.get("\(base)/loop") }
            func post(_ path: String) async throws -> String {
                try await client.execute(
                    try HTTPClientRequest(
                        url: base + path, method: .post, headerFields: [.contentType: "text/plain"],
                        body: .string("12345"))
                ).body.string()
            }
            #expect(try await post("/see-other") == "GET 0 type=-")
            #expect(try await post("/found") == "GET 0 type=-")
            #expect(try await post("/temporary") == "POST 5 type=text/plain")
            #expect(try await post("/permanent") == "POST 5 type=text/plain")
            let put = try await client.execute(
                try HTTPClientRequest(url: base + "/see-other", method: .put, body: .string("abc")))
            #expect(try await put.body.string() == "GET 0 type=-")
            await client.shutdown()
            let noFollow = try makeClient { $0.followRedirects = false }
            let response = try await noFollow.get("\(base)/redirect/1")
            #expect(response.status == .found)
            #expect(response.head.headerFields[.location] == "/redirect/0")
            await noFollow.shutdown()
        }
    }
}
