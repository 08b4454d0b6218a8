import Glibc
import Testing

@testable import SchedulerEngine

extension EngineTests {
    @Suite("Connection lifecycle: one state, one readiness check")
    struct ConnectionLifecycleTests {
        @Test("closing keeps what the read side knew; the first end wins; closed is final")
        func transitions() {
            typealias L = ConnectionLifecycle
            #expect(L.next(.open(.open), .peerEnded) == .open(.ended))
            #expect(L.next(.open(.open), .receiveFailed(ECONNRESET)) == .open(.failed(ECONNRESET)))
            #expect(L.next(.open(.ended), .receiveFailed(ECONNRESET)) == .open(.ended))
            #expect(L.next(.open(.failed(ECONNRESET)), .closeRequested) == .closing(.failed(ECONNRESET)))
            #expect(L.next(.open(.ended), .closeRequested) == .closing(.ended))
            #expect(L.next(.closing(.open), .peerEnded) == .closing(.ended))
            #expect(L.next(.closing(.open), .closeRequested) == .closing(.open))
            #expect(L.next(.closing(.ended), .closedByLoop) == .closed)
            #expect(L.next(.open(.open), .closedByLoop) == .closed)
            #expect(L.next(.closed, .peerEnded) == .closed)
            #expect(L.next(.closed, .closeRequested) == .closed)
            #expect(!L.closing(.open).acceptsSends && L.open(.ended).acceptsSends)
        }

        /// A server connection whose close cannot finish: 32 MiB queued to a peer that never
        /// reads, with a long grace period, so the connection stays `closing` during the test.
        private func stuckClosing(peerEndsFirst: Bool) async throws -> (TCPServer, Int32, TCPConnection) {
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.closeGracePeriod = .seconds(10)
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            var iterator = server.connections.makeAsyncIterator()
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            let connection = try #require(await iterator.next())
            if peerEndsFirst {
                #expect(shutdown(fd, Int32(SHUT_WR)) == 0)
                #expect(try await connection.recv() == [])
            }
            let block = [UInt8](repeating: 7, count: 1 << 20)
            for _ in 0..<32 { try connection.sendNow(block) }
            connection.closeNow()
            return (server, fd, connection)
        }

        @Test("recv after close() on a stream still open throws 'the connection is closed'")
        func recvWhileClosing() async throws {
            let (server, fd, connection) = try await stuckClosing(peerEndsFirst: false)
            let error = await #expect(throws: EngineError.self) { try await connection.recv() }
            #expect(error?.description.hasSuffix(": the connection is closed") == true, "\(String(describing: error))")
            await #expect(throws: EngineError.self) { try await connection.recvBuffer() }
            close(fd)
            await server.shutdown()
        }

        @Test("recv after the peer's end and then close() still reports the end")
        func endSurvivesClose() async throws {
            let (server, fd, connection) = try await stuckClosing(peerEndsFirst: true)
            #expect(try await connection.recv() == [])
            #expect(try await connection.recvBuffer() == nil)
            close(fd)
            await server.shutdown()
        }
    }
}
