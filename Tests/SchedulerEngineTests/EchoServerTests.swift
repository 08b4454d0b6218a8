@_spi(SchedulerInternals) import SchedulerPool
import Glibc
import SchedulerSocket
import Synchronization
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerEngine

/// The echo handler every test serves.
@Sendable func echo(_ connection: TCPConnection) async throws {
    while true {
        let bytes = try await connection.recv()
        if bytes.isEmpty { return }
        try await connection.send(bytes)
    }
}

/// The ways a server can echo: async handlers with arrays (`recv`/`send([UInt8])`, a copy each
/// way) or buffers (`recvBuffer`/`send(TCPBuffer)`, no copy), and callback handlers
/// (`serve(handlers:)`, `sendNow(TCPBuffer)`).
enum EchoStyle: String, CaseIterable, CustomTestStringConvertible {
    case arrays, buffers, callbacks

    var testDescription: String { rawValue }

    /// Starts serving `server` this way in a task.
    func serve(_ server: TCPServer, ends: EndLog? = nil) -> Task<Void, Never> {
        switch self {
        case .arrays: serving(server, echo)
        case .buffers: serving(server, bufferEcho)
        case .callbacks: Task { await server.serve(handlers: { EchoHandler($0, ends: ends) }) }
        }
    }
}

/// Starts `server.serve(handler)` in a task; returns the task so the test can await it.
func serving(
    _ server: TCPServer, _ handler: @escaping @Sendable (TCPConnection) async throws -> Void = echo
)
    -> Task<Void, Never>
{
    Task { await server.serve(handler) }
}

/// Every engine test, one at a time: they count this process's open descriptors.
@Suite("Engine", .serialized, .timeLimit(.minutes(5)))
enum EngineTests {}

extension EngineTests {
    /// These run on whichever backend `SCHEDULER_CORE_BACKEND` selects (`make test` runs both).
    @Suite("Engine echo on the selected backend")
    struct EchoServerTests {
        init() { raiseDescriptorLimit(to: 4096) }

        @Test(
            "500 concurrent connections each echo 1 MiB of random bytes, verified by hash",
            arguments: EchoStyle.allCases)
        func fiveHundredConnections(style: EchoStyle) async throws {
            let descriptorsBefore = openDescriptors()
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
            let ends = EndLog()
            let task = style.serve(server, ends: ends)
            let outcome = await runEchoClients(
                port: server.address.port, count: 500, bytesEach: 1 << 20, seconds: 50)
            #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(3))")
            #expect(outcome.verified == 500)
            #expect(outcome.mismatched == 0)
            await server.shutdown()
            await task.value
            if style == .callbacks {
                // Every handler heard of its end exactly once (the clients closed: end of stream).
                #expect(ends.entries.withLock { $0 } == Array(repeating: "end of stream", count: 500))
            }
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        /// With buffers, lent ring buffers held in flight must not starve receiving either.
        @Test(
            "a receive buffer ring of 2 small buffers runs dry (ENOBUFS) and recovers",
            arguments: EchoStyle.allCases)
        func tinyBufferRing(style: EchoStyle) async throws {
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.receiveBufferCount = 2
            configuration.receiveBufferSize = 4096
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let task = style.serve(server)
            let outcome = await runEchoClients(
                port: server.address.port, count: 16, bytesEach: 1 << 20, seconds: 30)
            #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(3))")
            #expect(outcome.verified == 16)
            // The bytes really went through the ring, which really ran dry and was refilled; an
            // epoll run must show none of it. 16 MiB in 4 KiB buffers is at least 4096 receives.
            let counters = server.counters
            if server.backend == .ioUring {
                #expect(counters.ringAccepts == 16, "\(counters)")
                #expect(counters.ringReceives >= 4096, "\(counters)")
                #expect(counters.ringSends > 0, "\(counters)")
                #expect(counters.ringBufferShortages > 0, "\(counters)")
                #expect(counters.epollEvents == 0, "\(counters)")
            } else {
                #expect(counters.ringAccepts + counters.ringReceives + counters.ringSends == 0, "\(counters)")
                #expect(counters.epollEvents > 0, "\(counters)")
            }
            await server.shutdown()
            await task.value
        }

        @Test("a client that disconnects mid-stream ends only its own connection")
        func clientDisconnectsMidStream() async throws {
            // Task.sleep's first use opens the runtime's timer descriptor: open it before counting.
            try await Task.sleep(for: .milliseconds(1))
            let descriptorsBefore = openDescriptors()
            let ended = Mutex<[String]>([])
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let task = serving(server) { connection in
                do {
                    try await echo(connection)
                    ended.withLock { $0.append("end of stream") }
                } catch {
                    ended.withLock { $0.append("error: \(error)") }
                    throw error
                }
            }
            // Send 4 MiB without reading the echo, then reset the connection (SO_LINGER 0).
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            let chunk = [UInt8](repeating: 0x5a, count: 65536)
            var sent = 0
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            while sent < 4 << 20 {
                let n = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            #expect(sent > 0)
            close(fd)

            // The handler sees the reset (or the end of stream) and returns.
            var waited = 0
            while ended.withLock({ $0.isEmpty }) && waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(ended.withLock { $0.count } == 1)

            // The server keeps serving others.
            let outcome = await runEchoClients(
                port: server.address.port, count: 4, bytesEach: 100_000, seconds: 10)
            #expect(outcome.verified == 4)
            await server.shutdown()
            await task.value
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("shutdown closes idle connections: a pending recv returns end of stream")
        func shutdownDrainsIdleConnections() async throws {
            let descriptorsBefore = openDescriptors()
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
            let task = serving(server)
            var clients: [Int32] = []
            for _ in 0..<20 { clients.append(connectLoopback(port: server.address.port)) }
            #expect(clients.allSatisfy { $0 >= 0 })
            // One round trip on each so that every connection is accepted and in recv.
            for fd in clients {
                var byte: UInt8 = 7
                #expect(send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) == 1)
                #expect(read(fd, &byte, 1) == 1)
            }
            await server.shutdown()
            await task.value
            for fd in clients {
                var byte: UInt8 = 0
                #expect(read(fd, &byte, 1) == 0)  // the server closed its side
                close(fd)
            }
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("shutdown cuts a connection whose peer stopped reading once the grace period ends")
        func shutdownCutsStuckPeer() async throws {
            try await Task.sleep(for: .milliseconds(1))
            let descriptorsBefore = openDescriptors()
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.shutdownGracePeriod = .milliseconds(600)
            // Shorter on purpose: a shutdown is bounded by its own grace period, not by this one.
            configuration.closeGracePeriod = .milliseconds(50)
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let sendFailure = Mutex<(any Error)?>(nil)
            let task = serving(server) { connection in
                // Far more than the socket buffers hold stays queued in the engine; the send
                // after it waits for room that never comes.
                let block = [UInt8](repeating: 1, count: 1 << 20)
                do {
                    for _ in 0..<32 { try connection.sendNow(block) }
                    try await connection.send(block)
                } catch {
                    sendFailure.withLock { $0 = error }
                }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            try await Task.sleep(for: .milliseconds(200))  // the server fills the socket buffers
            let started = ContinuousClock.now
            await server.shutdown()
            await task.value
            // Bounded: without the grace period this would wait for a reader that never comes.
            let took = ContinuousClock.now - started
            #expect(took < .seconds(5))
            #expect(took >= .milliseconds(550), "cut after \(took), before the shutdown grace period")
            // The cut fails the waiting send: ECANCELED where the loop cancels it (epoll), EPIPE
            // where the kernel fails the send in flight on the shut-down socket (io_uring).
            let failure = try #require(sendFailure.withLock { $0 } as? EngineError, "the waiting send did not fail")
            #expect(failure.operation == .send)
            #expect(failure.errno == .canceled || failure.errno == .brokenPipe, "\(failure)")
            close(fd)
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("close() with bytes the peer never reads returns once closeGracePeriod cuts the connection")
        func closeCutsStuckPeer() async throws {
            let descriptorsBefore = openDescriptors()
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.closeGracePeriod = .milliseconds(300)
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let queued = 32 << 20  // far more than the two socket buffers hold
            let closeTook = Mutex<Duration?>(nil)
            let task = serving(server) { connection in
                let block = [UInt8](repeating: 7, count: 1 << 20)
                for _ in 0..<(queued >> 20) { try connection.sendNow(block) }
                let started = ContinuousClock.now
                await connection.close()
                closeTook.withLock { $0 = ContinuousClock.now - started }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            // A close that waits for this reader forever fails the test instead of hanging it.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(10))
                await server.shutdown()
            }
            let giveUp = ContinuousClock.now + .seconds(20)
            while closeTook.withLock({ $0 }) == nil && ContinuousClock.now < giveUp {
                try await Task.sleep(for: .milliseconds(20))
            }
            // Only now read: what arrived before the cut, then the end (EOF or ECONNRESET).
            var received = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                received += n
            }
            let took = try #require(closeTook.withLock { $0 })
            #expect(took < .seconds(8), "close() returned after \(took)")
            #expect(received < queued, "all \(received) bytes arrived: the connection was not cut")
            watchdog.cancel()
            await server.shutdown()
            await task.value
            close(fd)
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("a handler's send on a connection its loop is closing for shutdown throws ESHUTDOWN")
        func sendWhileLoopCloses() async throws {
            let descriptorsBefore = openDescriptors()
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let outcome = Mutex<String>("handler did not run")
            let task = serving(server) { connection in
                // On the loop thread the shutdown runs at once: this connection is now closing in
                // the loop while its Swift side still looks open.
                server.beginShutdown()
                guard !connection.core.state.withLock({ $0.lifecycle.isClosingOrClosed }) else {
                    outcome.withLock { $0 = "closed before the send" }
                    return
                }
                // Queued under the connection's lock: refused, not reported back into that lock.
                do {
                    try await connection.send([1, 2, 3])
                    outcome.withLock { $0 = "sent" }
                } catch let error as EngineError {
                    outcome.withLock { $0 = error.errnoName ?? error.description }
                }
            }
            let fd = connectLoopback(port: server.address.port)
            #expect(fd >= 0)
            await task.value
            #expect(outcome.withLock { $0 } == "ESHUTDOWN")
            close(fd)
            let leaked = await descriptorsLeaked(since: descriptorsBefore)
            #expect(leaked == nil, "still open: \(leaked ?? [])")
        }

        @Test("cancelling a task waiting in recv throws CancellationError")
        func cancellationEndsRecv() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let fd = connectLoopback(port: server.address.port)
            var iterator = server.connections.makeAsyncIterator()
            let connection = try #require(await iterator.next())
            let waiting = Task { try await connection.recv() }
            try await Task.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            // The connection still works after the cancelled recv.
            var byte: UInt8 = 42
            #expect(send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) == 1)
            #expect(try await connection.recv() == [42])
            await connection.close()
            let closed = await #expect(throws: EngineError.self) { try await connection.send([1]) }
            #expect(closed?.operation == .send && closed?.errno == nil, "\(String(describing: closed))")
            #expect(closed?.description.hasSuffix(": the connection is closed") == true, "\(String(describing: closed))")
            close(fd)
            await server.shutdown()
        }

        @Test("a server reports its backend and listens on the asked address")
        func backendAndAddress() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            #expect(server.address.host == "127.0.0.1")
            #expect(server.address.port != 0)
            if let forced = getenv("SCHEDULER_CORE_BACKEND").map({ String(cString: $0) }) {
                #expect(server.backend.rawValue == forced)
            }
            #expect(server.features.hasPrefix(server.backend == .ioUring ? "io_uring" : "epoll"))
            await server.shutdown()
        }
    }

}

extension EngineTests {
    @Suite("Engine errors")
    struct EngineErrorTests {
        @Test("binding an address this host does not have throws EADDRNOTAVAIL, and leaks nothing")
        func bindUnavailableAddress() async throws {
            let before = openDescriptors()
            let error = #expect(throws: EngineError.self) {
                _ = try TCPServer(host: "192.0.2.1", port: 0, configuration: .init(threads: 2))
            }
            #expect(error?.errno == .addressNotAvailable)
            #expect(error?.operation == .bind)
            #expect(error?.errnoName == "EADDRNOTAVAIL")
            #expect(
                error?.description
                    == "bind 192.0.2.1:0: Cannot assign requested address (EADDRNOTAVAIL, errno 99)")
            #expect(await descriptorsLeaked(since: before) == nil)
        }

        @Test(
            "bad input is a typed error: a malformed host, zero threads, a buffer count not a power of two"
        )
        func badInput() {
            let badHost = #expect(throws: EngineError.self) { _ = try TCPServer(host: "127.0.0.300", port: 0) }
            #expect(
                badHost?.description
                    == #"parse address 127.0.0.300: malformed address "127.0.0.300": expected dotted-quad IPv4 or RFC 4291 IPv6 text"#)
            let noThreads = #expect(throws: EngineError.self) {
                _ = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 0))
            }
            #expect(noThreads?.description == "configure 127.0.0.1:0: threads must be at least 1", "\(String(describing: noThreads))")
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.receiveBufferCount = 1000  // not a power of two
            let error = #expect(throws: EngineError.self) {
                _ = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            }
            #expect(error?.errno == .invalidArgument)
            #expect(error?.operation == .configure)
        }

        @Test("catch on an errno reads naturally: EngineError.errno(_:) in catch, Errno in a switch")
        func catchByErrno() throws {
            func attempt() throws {
                _ = try TCPServer(host: "192.0.2.1", port: 0, configuration: .init(threads: 1))
            }
            var caught = "nothing"
            do {
                try attempt()
            } catch EngineError.errno(.permissionDenied) {
                caught = "EACCES"
            } catch EngineError.errno(.addressNotAvailable) {
                caught = "EADDRNOTAVAIL"
            } catch {
                caught = "\(error)"
            }
            #expect(caught == "EADDRNOTAVAIL")
            let error = EngineError(operation: .connect, target: "127.0.0.1:80", errno: .connectionRefused)
            #expect(error.description == "connect 127.0.0.1:80: Connection refused (ECONNREFUSED, errno 111)")
            switch error {
            case Errno.connectionReset: Issue.record("matched ECONNRESET")
            case Errno.connectionRefused: break
            default: Issue.record("no errno matched \(error)")
            }
            let misuse = EngineError(
                operation: .send, target: "connection 127.0.0.1:1", reason: "the connection is closed")
            #expect(misuse.errno == nil && misuse.errnoName == nil)
            #expect(!(EngineError.errno(.connectionRefused) ~= misuse))
        }
    }
}
