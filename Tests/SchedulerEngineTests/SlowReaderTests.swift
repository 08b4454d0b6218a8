import Glibc
import SchedulerSocket
import Synchronization
import TestSupport
import Testing

@testable import SchedulerEngine

extension EngineTests {
    /// A peer that does not read for a while: the kernel's send buffer fills (EAGAIN on epoll,
    /// a short send on io_uring) and the engine must wait for room, not fail the connection.
    @Suite("A slow reader on the selected backend", .timeLimit(.minutes(1)))
    struct SlowReaderTests {
        @Test("16 MiB sent to a peer that reads only after 300 ms all arrive, in order")
        func slowReaderGetsEveryByte() async throws {
            let total = 16 << 20
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let handlerError = Mutex<String?>(nil)
            let task = serving(server) { connection in
                do {
                    var chunk = [UInt8](repeating: 0, count: 64 << 10)
                    for offset in stride(from: 0, to: total, by: chunk.count) {
                        for i in chunk.indices { chunk[i] = UInt8(truncatingIfNeeded: (offset + i) / 4096) }
                        try await connection.send(chunk)
                    }
                    await connection.close()
                } catch {
                    handlerError.withLock { $0 = "\(error)" }
                }
            }
            let fd = connectLoopback(port: server.address.port)
            try #require(fd >= 0)
            let reader = Background { () -> (count: Int, inOrder: Bool) in
                usleep(300_000)  // let the server's sends back up
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var count = 0
                var inOrder = true
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    for i in 0..<n where buffer[i] != UInt8(truncatingIfNeeded: (count + i) / 4096) { inOrder = false }
                    count += n
                }
                return (count, inOrder)
            }
            let (count, inOrder) = try await reader.outcome()
            close(fd)
            await server.shutdown()
            await task.value
            #expect(handlerError.withLock { $0 } == nil)
            #expect(count == total)
            #expect(inOrder)
        }
    }
}
