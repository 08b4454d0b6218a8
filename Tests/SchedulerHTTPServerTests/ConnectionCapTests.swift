import Glibc
import SchedulerHTTP
import SchedulerPool
import Testing

/// The cap on concurrent connections (`maxConnectionsPerThread`): one over it is closed at once
/// without an answer, the ones within it go on being served, and a place given up is taken by
/// the next connection.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ConnectionCapTests {
    @Test func aConnectionOverTheCapIsClosedAndAFreedPlaceIsServedAgain() async throws {
        var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
        configuration.maxConnectionsPerThread = 4
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
            responder: TestRoutes())
        let running = await startRunning(server)
        let port = server.address.port
        var held: [RawClient] = []
        for _ in 0..<4 {
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            held.append(client)
        }
        // The kernel accepts a fifth; the server closes it at once, sending nothing.
        let over = try RawClient(port: port)
        #expect(over.readsEndOfStream())
        // The four are still served.
        for client in held {
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "Hello, World!")
        }
        // One leaves; once the server has seen it go, the next connection is served.
        held.removeFirst()
        var served = false
        let end = ContinuousClock.now + .seconds(3)
        while !served && ContinuousClock.now < end {
            let next = try RawClient(port: port)
            try? next.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            if let response = try? next.readResponse(), response.status == 200 {
                served = true
                held.append(next)
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(served)
        await server.shutdown()
        await running.value
    }
}
