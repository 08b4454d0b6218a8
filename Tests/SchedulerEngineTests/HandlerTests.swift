import Glibc
import Synchronization
import Testing

@testable import SchedulerEngine

/// How the connections of a test ended, as their handlers heard it.
final class EndLog: Sendable {
    let entries = Mutex<[String]>([])
}

/// The echo as a callback handler, noting how its connection ended.
final class EchoHandler: TCPConnectionHandler {
    let connection: TCPConnection
    let ends: EndLog?

    init(_ connection: TCPConnection, ends: EndLog? = nil) {
        self.connection = connection
        self.ends = ends
    }

    func received(_ buffer: consuming TCPBuffer) {
        do { try connection.sendNow(buffer) } catch { connection.closeNow() }
    }

    func receiveEnded(_ error: EngineError?) {
        ends?.entries.withLock { $0.append(error.map { "\($0.errnoName ?? $0.reason)" } ?? "end of stream") }
    }
}

/// Starts `server.serve(handlers:)` with echo handlers in a task.
private func servingHandlers(_ server: TCPServer, ends: EndLog? = nil) -> Task<Void, Never> {
    Task { await server.serve(handlers: { EchoHandler($0, ends: ends) }) }
}

extension EngineTests {
    @Suite("Callback handlers (serve(handlers:)) on the selected backend")
    struct HandlerTests {
        init() { raiseDescriptorLimit(to: 4096) }

        @Test("200 concurrent connections each echo 1 MiB through handlers, verified by hash")
        func manyConnections() async throws {
            let descriptorsBefore = openDescriptors()
            let ends = EndLog()
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
            let task = servingHandlers(server, ends: ends)
            let outcome = await runEchoClients(
                port: server.address.port, count: 200, bytesEach: 1 << 20, seconds: 50)
            #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(3))")
            #expect(outcome.verified == 200)
            await server.shutdown()
            await task.value
            // Every handler heard of its end exactly once (the clients closed: end of stream).
            #expect(ends.entries.withLock { $0 } == Array(repeating: "end of stream", count: 200))
            #expect(await descriptorsLeaked(since: descriptorsBefore) == nil)
        }

        @Test("a receive ring of 2 small buffers runs dry (ENOBUFS) and recovers under handlers")
        func tinyBufferRing() async throws {
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.receiveBufferCount = 2
            configuration.receiveBufferSize = 4096
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let task = servingHandlers(server)
            let outcome = await runEchoClients(
                port: server.address.port, count: 16, bytesEach: 1 << 20, seconds: 30)
            #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(3))")
            #expect(outcome.verified == 16)
            await server.shutdown()
            await task.value
        }

        @Test("a peer that writes without reading: the handler's reading pauses, the queue stays bounded")
        func backpressure() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            var iterator = server.connections.makeAsyncIterator()
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            let connection = try #require(await iterator.next())
            let attached = Task(executorPreference: connection.executor) {
                connection.core.attach(EchoHandler(connection))
            }
            await attached.value
            // Write until the kernel takes no more: the engine stopped reading at its high-water mark.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let block = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var written = 0
            var idle = 0
            while idle < 20 {
                // The stream is the block repeated: each write goes on where the last one stopped.
                let offset = written % block.count
                let n = block[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    written += n
                    idle = 0
                } else {
                    idle += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            let queued = connection.core.state.withLock { $0.queuedBytes }
            #expect(connection.core.handlerPaused)
            // At most one receive buffer beyond the high-water mark before reading paused.
            #expect(queued <= ConnectionCore.sendHighWater + 65536)
            #expect(written > queued)
            // Reading everything back resumes the handler; every byte returns, in order.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            var receivedTotal = 0
            var mismatch = false
            var buffer = [UInt8](repeating: 0, count: 65536)
            while receivedTotal < written {
                let n = buffer.withUnsafeMutableBytes {
                    read(fd, $0.baseAddress, min($0.count, written - receivedTotal))
                }
                if n <= 0 { break }
                for i in 0..<n where buffer[i] != block[(receivedTotal + i) % block.count] { mismatch = true }
                receivedTotal += n
            }
            #expect(receivedTotal == written)
            #expect(!mismatch)
            close(fd)
            await server.shutdown()
        }
    }
}
