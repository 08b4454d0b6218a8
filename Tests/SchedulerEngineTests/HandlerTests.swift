@_spi(SchedulerInternals) import SchedulerPool
import Glibc
import Synchronization
import TestSupport
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

extension EngineTests {
    /// The callback API's own behaviour; its echoes run in EchoServerTests (EchoStyle.callbacks).
    @Suite("Callback handlers (serve(handlers:)) on the selected backend")
    struct HandlerTests {
        init() { raiseDescriptorLimit(to: 4096) }

        @Test("a peer that writes without reading: the handler's reading pauses, the queue stays bounded")
        func backpressure() async throws {
            let (server, fd, connection) = try await acceptedConnection()
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
            let queued = connection.core.state.withLock { $0.send.queuedBytes }
            // `handlerPaused` belongs to the loop thread: read it there.
            let paused = await Task(executorPreference: connection.executor) { connection.core.handlerPaused }.value
            #expect(paused)
            // At most one receive buffer beyond the high-water mark before reading paused.
            #expect(queued <= SendAccounting.highWater + 65536)
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
