import Glibc
import Synchronization
import TestSupport
import Testing

@testable import SchedulerEngine

extension EngineTests {
    /// Parking a waiting receive: its task is let go, a callback says when bytes are there, none
    /// is lost, and a `serve` handler that returns after a park leaves the connection open.
    @Suite("Parked receives on the selected backend", .timeLimit(.minutes(1)))
    struct ParkTests {
        /// What the serve handler saw, and whether the park callback ran.
        final class Log: Sendable {
            let outcome = Mutex<String?>(nil)
            let readable = Atomic<Int>(0)
            let connection = Mutex<TCPConnection?>(nil)
        }

        /// Polls `condition` every 5 ms for up to 3 s.
        static func eventually(_ condition: () -> Bool) async throws -> Bool {
            for _ in 0..<600 {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(5))
            }
            return condition()
        }

        /// A server whose one connection's handler waits in `recvBuffer(parkable:)` once; `body`
        /// gets the client's descriptor.
        static func withWaitingHandler(parkable: Bool, _ body: (Int32, Log) async throws -> Void) async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let log = Log()
            let serving = Task {
                await server.serve { connection in
                    log.connection.withLock { $0 = connection }
                    do {
                        var text = "end"
                        if let buffer = try await connection.recvBuffer(parkable: parkable) {
                            text = String(decoding: buffer.bytes, as: UTF8.self)
                        }
                        log.outcome.withLock { $0 = "bytes \(text)" }
                    } catch is ConnectionParked {
                        log.outcome.withLock { $0 = "parked" }
                    }
                }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            defer { close(fd) }
            try await body(fd, log)
            await server.shutdown()
            await serving.value
        }

        /// Parks `connection` as soon as its handler waits; true once it did.
        static func park(_ log: Log) async throws -> Bool {
            try await eventually {
                guard let connection = log.connection.withLock({ $0 }) else { return false }
                return connection.park { log.readable.add(1, ordering: .relaxed) }
            }
        }

        @Test("a parked wait ends, bytes sent after it wait for a new task, the connection stays open")
        func parkedConnectionServedOn() async throws {
            try await Self.withWaitingHandler(parkable: true) { fd, log in
                #expect(try await Self.park(log))
                #expect(try await Self.eventually { log.outcome.withLock { $0 } == "parked" })
                #expect(log.readable.load(ordering: .relaxed) == 0)
                // The handler has returned; the engine did not close the connection.
                #expect(send(fd, "hello", 5, Int32(MSG_NOSIGNAL)) == 5)
                #expect(try await Self.eventually { log.readable.load(ordering: .relaxed) == 1 })
                let connection = try #require(log.connection.withLock { $0 })
                let received = try await Task(executorPreference: connection.executor) {
                    try await connection.recv()
                }.value
                #expect(received == Array("hello".utf8))
                try await connection.send(Array("ok".utf8))
                var reply = [UInt8](repeating: 0, count: 8)
                #expect(recv(fd, &reply, 8, 0) == 2 && reply[0..<2] == [UInt8(ascii: "o"), UInt8(ascii: "k")])
                await connection.close()
                #expect(recv(fd, &reply, 8, 0) == 0)
                #expect(log.readable.load(ordering: .relaxed) == 1)
            }
        }

        @Test("the callback also runs when the peer ends its stream while parked")
        func peerEndWakesTheCallback() async throws {
            try await Self.withWaitingHandler(parkable: true) { fd, log in
                #expect(try await Self.park(log))
                shutdown(fd, Int32(SHUT_WR))
                #expect(try await Self.eventually { log.readable.load(ordering: .relaxed) == 1 })
                let connection = try #require(log.connection.withLock { $0 })
                let received = try await Task(executorPreference: connection.executor) {
                    try await connection.recv()
                }.value
                #expect(received.isEmpty)
                await connection.close()
            }
        }

        @Test("a wait that is not parkable cannot be parked, and gets its bytes")
        func plainWaitIsNotParked() async throws {
            try await Self.withWaitingHandler(parkable: false) { fd, log in
                let connection = try #require(await {
                    for _ in 0..<600 {
                        if let connection = log.connection.withLock({ $0 }) { return connection }
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    return nil
                }())
                try await Task.sleep(for: .milliseconds(50))
                #expect(!connection.park { log.readable.add(1, ordering: .relaxed) })
                #expect(send(fd, "hi", 2, Int32(MSG_NOSIGNAL)) == 2)
                #expect(try await Self.eventually { log.outcome.withLock { $0 } == "bytes hi" })
                #expect(log.readable.load(ordering: .relaxed) == 0)
            }
        }

        @Test("with no task waiting: whenReadable calls back once bytes come, recvBufferNow takes them, the end calls back")
        func tasklessWaitAndReceive() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let log = Log()
            let received = Mutex<[String]>([])
            let serving = Task {
                await server.serve { (connection: TCPConnection) async in
                    log.connection.withLock { $0 = connection }
                    // Nothing has arrived: no chunk now, and the callback is installed.
                    let none = connection.recvBufferNow() == nil
                    #expect(none)
                    #expect(connection.whenReadable { log.readable.add(1, ordering: .relaxed) })
                    // The handler returns: the connection stays open for the callback.
                }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            defer { close(fd) }
            #expect(try await Self.eventually { log.connection.withLock { $0 } != nil })
            let connection = try #require(log.connection.withLock { $0 })
            try await Task.sleep(for: .milliseconds(50))
            #expect(log.readable.load(ordering: .relaxed) == 0)
            #expect(send(fd, "hello", 5, Int32(MSG_NOSIGNAL)) == 5)
            #expect(try await Self.eventually { log.readable.load(ordering: .relaxed) == 1 })
            try await Task(executorPreference: connection.executor) {
                // Bytes are held: no callback is installed, and they are taken without a wait.
                #expect(!connection.whenReadable { log.readable.add(1, ordering: .relaxed) })
                var text = ""
                while let buffer = connection.recvBufferNow() { text += String(decoding: buffer.bytes, as: UTF8.self) }
                received.withLock { $0.append(text) }
                #expect(connection.whenReadable { log.readable.add(1, ordering: .relaxed) })
            }.value
            #expect(received.withLock { $0 } == ["hello"])
            // The peer's end calls back too; then nothing is held and the end is there at once.
            shutdown(fd, Int32(SHUT_WR))
            #expect(try await Self.eventually { log.readable.load(ordering: .relaxed) == 2 })
            let atEnd = await Task(executorPreference: connection.executor) {
                (connection.recvBufferNow() == nil, connection.whenReadable {})
            }.value
            #expect(atEnd == (true, false))
            let ended = try await Task(executorPreference: connection.executor) {
                try await connection.recvBuffer() == nil
            }.value
            #expect(ended)
            await connection.close()
            var reply = [UInt8](repeating: 0, count: 8)
            #expect(recv(fd, &reply, 8, 0) == 0)
            #expect(log.readable.load(ordering: .relaxed) == 2)
            await server.shutdown()
            await serving.value
        }
    }
}
