import Glibc
import SchedulerHTTP
import SchedulerPool
import Testing

/// Header and idle timeouts, and graceful shutdown.
@Suite(.timeLimit(.minutes(2))) struct TimeoutTests {
    @Test func aSilentConnectionIsClosedAfterTheHeaderTimeout() async throws {
        try await withServer(configure: { $0.headerTimeout = .milliseconds(300) }) { port in
            let silent = try RawClient(port: port)
            let partial = try RawClient(port: port)
            try partial.send("GET / HTTP/1.1\r\nHost:")
            let start = ContinuousClock.now
            #expect(silent.readsEndOfStream())
            #expect(partial.readsEndOfStream())
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(250) && waited < .seconds(3))
        }
    }

    @Test func aBodyThatStopsArrivingIsCutAfterTheHeaderTimeout() async throws {
        try await withServer(configure: { $0.headerTimeout = .milliseconds(300) }) { port in
            let client = try RawClient(port: port)
            try client.send("POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a part")
            let start = ContinuousClock.now
            #expect(client.readsEndOfStream())
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(250) && waited < .seconds(3))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(configure: { $0.idleTimeout = .milliseconds(300) }) { port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(client.readsEndOfStream())
            #expect(ContinuousClock.now - start >= .milliseconds(250))
        }
    }

    @Test func shutdownLetsTheRequestInFlightFinish() async throws {
        var configuration = HTTPServer.Configuration(engine: .init(threads: 1))
        configuration.engine.shutdownGracePeriod = .seconds(5)
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0), configuration: configuration,
            responder: TestRoutes())
        let running = await startRunning(server)
        let busy = try RawClient(port: server.address.port)
        let idle = try RawClient(port: server.address.port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let stopping = Task { await server.shutdown() }
        let response = try busy.readResponse()
        #expect(response.text == "slow done")
        #expect(response.field("Connection") == "close")
        #expect(idle.readsEndOfStream())
        await stopping.value
        await running.value
    }
}
