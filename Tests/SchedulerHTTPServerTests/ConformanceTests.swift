import Glibc
import HTTPTypes
import Logging
import SchedulerHTTP
import SchedulerPool
import ServiceLifecycle
import TestSupport
import Testing

/// Larger exchanges and the server's place in a service: 100 pipelined requests, an 8 MiB body
/// by hash, header injection, ServiceGroup shutdown, descriptors.
@Suite(.timeLimit(.minutes(2))) struct ConformanceTests {
    @Test func hundredPipelinedRequestsInOneWrite() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send(String(repeating: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", count: 100))
            for _ in 0..<100 { #expect(try client.readResponse().text == "Hello, World!") }
        }
    }

    @Test func eightMiBBodyEchoedByHash() async throws {
        try await withServer(configure: { $0.maxBodySize = 16 << 20 }) { port in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            let body = (0..<(8 << 20)).map { _ -> UInt8 in
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
            let client = try RawClient(port: port, timeout: 20)
            // Sent from another thread: the echo comes back while the upload is still going.
            let head = Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            // Sent from a thread of its own (blocking sends must not hold a cooperative thread),
            // read here: the echo comes back while the upload is still going.
            let sender = Background { try client.send(head + body) }
            let response = try client.readResponse()
            try sender.value()
            var sent = Hasher(), received = Hasher()
            sent.combine(bytes: UnsafeRawBufferPointer(start: body, count: body.count))
            received.combine(bytes: UnsafeRawBufferPointer(start: response.body, count: response.body.count))
            #expect(response.body.count == body.count)
            #expect(sent.finalize() == received.finalize())
        }
    }

    @Test func headerValuesCannotInjectLines() async throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0, configuration: .init(engine: .init(threads: 1))) { _ in
            var response = HTTPServerResponse.text("ok")
            response.head.headerFields[HTTPField.Name("X-Echo")!] = "a\r\nInjected: yes"
            return response
        }
        let running = await startRunning(server)
        let client = try RawClient(port: server.address.port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.field("Injected") == nil)
        #expect(response.field("X-Echo")?.hasPrefix("a") == true)
        #expect(response.text == "ok")
        await server.shutdown()
        await running.value
    }

    @Test func aServiceGroupShutsTheServerDownGracefully() async throws {
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0),
            configuration: .init(engine: .init(threads: 1)), responder: TestRoutes())
        let group = ServiceGroup(
            configuration: .init(services: [server], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let port = server.address.port  // a stopped server has no listeners left to ask
        let client = try RawClient(port: port)
        try client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        await group.triggerGracefulShutdown()
        #expect(try client.readResponse().text == "slow done")
        try await running.value
        #expect(throws: RawClientError(description: "connect: errno \(ECONNREFUSED)")) { try RawClient(port: port) }
    }

    @Test func descriptorsAreBackWhereTheyStarted() async throws {
        let before = TestSupport.openDescriptors()
        try await withServer { port in
            for _ in 0..<20 {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                _ = try client.readResponse()
                #expect(client.readsEndOfStream())
            }
            let bad = try RawClient(port: port)
            try bad.send("BAD\r\n\r\n")
            #expect(try bad.readResponse().status == 400)
        }
        let leaked = await descriptorsLeaked(since: before)
        #expect(leaked == nil, "still open: \(leaked ?? [])")
    }
}
