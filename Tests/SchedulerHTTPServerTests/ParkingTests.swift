import Glibc
import SchedulerHTTP
import SchedulerPool
import Testing
import TestSupport

/// Idle keep-alive connections give up their task (parked) and are served on when they speak
/// again: nothing lost, order kept, timeouts and shutdown as for any connection, no leak.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ParkingTests {
    /// A server parking after 50 ms, and `body` with it: once with async routes, once with
    /// synchronous ones.
    static func withParkingServer(
        parkAfter: Duration? = .milliseconds(50), configure: (inout HTTPServer.Configuration) -> Void = { _ in },
        _ body: (HTTPServer) async throws -> Void
    ) async throws {
        // With async routes the connection's task waits and is parked; with synchronous ones the
        // connection waits with no task already, and is counted as parked.
        for synchronous in [false, true] {
            var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
            configuration.parkIdleAfter = parkAfter
            configure(&configuration)
            let server = try HTTPServer(
                address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
                responder: TestRoutes(synchronous: synchronous))
            let running = await startRunning(server)
            do {
                try await body(server)
            } catch {
                await server.shutdown()
                await running.value
                throw RoutesModeError(synchronous: synchronous, error: error)
            }
            await server.shutdown()
            await running.value
        }
    }

    /// Waits (up to 3 s) until `server` has `count` parked connections.
    static func waitParked(_ server: HTTPServer, _ count: Int) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(3)
        while server.parkedConnections != count {
            if ContinuousClock.now > end { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    @Test func anIdleConnectionIsParkedAndServedOnWhenItSpeaksAgain() async throws {
        var port: UInt16 = 0
        try await Self.withParkingServer { server in
            port = server.address.port
            let client = try RawClient(port: server.address.port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "Hello, World!")
            #expect(try await Self.waitParked(server, 1))
            // Parked, the connection keeps its socket (only its task is gone): the listener and it.
            #expect(openSocketCount(localPort: port) == 2)
            // A body sent after the park arrives whole, and pipelined requests keep their order.
            try client.send(
                "POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /local HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "5")
            #expect(try client.readResponse().text == "\(server.address)")
            #expect(try client.readResponse().text == "Hello, World!")
            // Parked again, and again served.
            #expect(try await Self.waitParked(server, 1))
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "Hello, World!")
        }
        // The server's sockets (its listener, the parked connection) are all closed.
        #expect(openSocketCount(localPort: port) == 0)
    }

    @Test func aParkedConnectionWhosePeerLeavesIsClosedAndForgotten() async throws {
        var port: UInt16 = 0
        try await Self.withParkingServer { server in
            port = server.address.port
            var clients: [RawClient] = []
            for _ in 0..<20 {
                let client = try RawClient(port: server.address.port)
                try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                clients.append(client)
            }
            #expect(try await Self.waitParked(server, 20))
            clients.removeAll()  // closes them
            #expect(try await Self.waitParked(server, 0))
            // The server let go of them: its listener is the one socket left on its port.
            let end = ContinuousClock.now + .seconds(3)
            while openSocketCount(localPort: port) > 1, ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(openSocketCount(localPort: port) == 1)
        }
        #expect(openSocketCount(localPort: port) == 0)
    }

    @Test func aParkedConnectionIsStillClosedAfterTheIdleTimeout() async throws {
        try await Self.withParkingServer(configure: { $0.idleTimeout = .milliseconds(500) }) { server in
            let client = try RawClient(port: server.address.port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(try await Self.waitParked(server, 1))
            #expect(client.readsEndOfStream())
            #expect(ContinuousClock.now - start >= .milliseconds(400))
            #expect(try await Self.waitParked(server, 0))
        }
    }

    @Test func shutdownClosesParkedConnections() async throws {
        var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
        configuration.parkIdleAfter = .milliseconds(50)
        configuration.engine.shutdownGracePeriod = .seconds(5)
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
            responder: TestRoutes())
        let running = await startRunning(server)
        let client = try RawClient(port: server.address.port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try await Self.waitParked(server, 1))
        let start = ContinuousClock.now
        await server.shutdown()
        await running.value
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(client.readsEndOfStream())
    }

    @Test func withoutParkingTheConnectionKeepsItsTask() async throws {
        try await Self.withParkingServer(parkAfter: nil) { server in
            let client = try RawClient(port: server.address.port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            try await Task.sleep(for: .milliseconds(300))
            #expect(server.parkedConnections == 0)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }
}
