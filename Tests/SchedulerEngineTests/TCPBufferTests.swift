import Glibc
import Synchronization
import TestSupport
import Testing

@testable import SchedulerEngine

/// The zero-copy echo: each received chunk is sent back from the buffer it arrived in.
/// (EchoServerTests runs its many-connection and tiny-ring echoes with this handler too.)
@Sendable func bufferEcho(_ connection: TCPConnection) async throws {
    while let buffer = try await connection.recvBuffer() {
        try await connection.send(buffer)
    }
}

/// Writes all of `bytes` to a blocking socket.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

/// Reads exactly `count` bytes from a blocking socket (fewer if it closes first).
private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
        let n = output[offset...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        offset += n
    }
    return Array(output[0..<offset])
}

extension EngineTests {
    @Suite("TCPBuffer: receive and send without copying, on the selected backend")
    struct TCPBufferTests {
        init() { raiseDescriptorLimit(to: 4096) }

        @Test("recv and recvBuffer share one stream; a buffer changed in place is sent as changed")
        func mixedReceiveAndInPlaceChange() async throws {
            let (server, fd, connection) = try await acceptedConnection()
            // 3000 bytes (more than the small-copy size, so io_uring lends the ring buffer).
            let message = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
            #expect(writeAll(fd, message))
            var head: [UInt8] = []
            while head.count < 10 { head += try await connection.recv(maxLength: 10 - head.count) }
            #expect(head == Array(message[0..<10]))
            var rest: [UInt8] = []
            while rest.count < message.count - 10 {
                guard var buffer = try await connection.recvBuffer() else { break }
                #expect(buffer.count > 0)
                rest += buffer.bytes
                buffer.withUnsafeMutableBytes { bytes in
                    for index in bytes.indices { bytes[index] = ~bytes[index] }
                }
                try await connection.send(buffer)
            }
            #expect(rest == Array(message[10...]))
            #expect(readExactly(fd, rest.count) == rest.map { ~$0 })
            // End of stream is nil.
            shutdown(fd, Int32(SHUT_WR))
            var ended = false
            if case .none = try await connection.recvBuffer() { ended = true }
            #expect(ended)
            await connection.close()
            close(fd)
            await server.shutdown()
        }

        @Test("a buffer outlives its connection and server; send after close throws")
        func bufferOutlivesServer() async throws {
            let descriptorsBefore = openDescriptors()
            let (server, fd, connection) = try await acceptedConnection()
            let message = [UInt8](repeating: 0x5a, count: 8000)
            #expect(writeAll(fd, message))
            guard var first = try await connection.recvBuffer() else {
                Issue.record("end of stream instead of bytes")
                return
            }
            var kept = first.bytes
            while kept.count < message.count {
                guard let next = try await connection.recvBuffer() else { break }
                kept += next.bytes
            }
            #expect(kept == message)
            await connection.close()
            guard let extra = try await extraBuffer(server: server) else {
                Issue.record("end of stream instead of bytes")
                return
            }
            #expect(extra.bytes == [1, 2, 3])
            var sendError: (any Error)?
            do { try await connection.send(extra) } catch { sendError = error }
            #expect(sendError is EngineError)
            await server.shutdown()
            // The loop has stopped; the buffer's bytes are still readable and still the same.
            #expect(first.bytes == Array(message[0..<first.count]))
            first.withUnsafeMutableBytes { $0[0] = 1 }
            _ = consume first
            close(fd)
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("a handler run as serve runs it: cancelling its task ends its recvBuffer and recv")
        func cancellingCoveredHandler() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let fd = connectLoopback(port: server.address.port)
            var iterator = server.connections.makeAsyncIterator()
            let connection = try #require(await iterator.next())
            let outcomes = Mutex<[String]>([])
            // The handler's receives skip their own cancellation handlers: runCovered watches for them.
            let handler = Task(executorPreference: connection.executor) {
                await connection.core.runCovered {
                    do {
                        _ = try await connection.recvBuffer()
                        outcomes.withLock { $0.append("recvBuffer returned") }
                    } catch { outcomes.withLock { $0.append("recvBuffer: \(type(of: error))") } }
                    do {
                        _ = try await connection.recv()
                        outcomes.withLock { $0.append("recv returned") }
                    } catch { outcomes.withLock { $0.append("recv: \(type(of: error))") } }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            handler.cancel()
            await handler.value
            #expect(
                outcomes.withLock { $0 } == ["recvBuffer: CancellationError", "recv: CancellationError"])
            // Another task's recv is not covered and has its own handler; the connection still works.
            var byte: UInt8 = 9
            #expect(send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) == 1)
            #expect(try await connection.recv() == [9])
            await connection.close()
            close(fd)
            await server.shutdown()
        }

        /// A buffer from a second connection, to send on a closed one.
        private func extraBuffer(server: TCPServer) async throws -> TCPBuffer? {
            let other = connectLoopback(port: server.address.port)
            defer { close(other) }
            var iterator = server.connections.makeAsyncIterator()
            let connection = try #require(await iterator.next())
            #expect(writeAll(other, [1, 2, 3]))
            let buffer = try await connection.recvBuffer()
            await connection.close()
            return buffer
        }
    }
}
