import Glibc
import SchedulerPool
import Synchronization
import Testing

@testable import SchedulerEngine

extension EngineTests {
    /// `TCPEngine.connect`: outbound connections on loops without a listener, on the backend
    /// `SCHEDULER_CORE_BACKEND` selects (run the suite once per backend).
    @Suite("Outbound connect (TCPEngine) on the selected backend", .timeLimit(.minutes(1)))
    struct OutboundConnectTests {
        init() { raiseDescriptorLimit(to: 4096) }

        @Test("connect to a TCPServer, echo, and both ends agree on the addresses")
        func echo() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            let seen = Mutex<[SocketAddress]>([])
            let serving = Task {
                await server.serve { connection in
                    seen.withLock { $0.append(connection.peerAddress) }
                    while true {
                        let bytes = try await connection.recv()
                        if bytes.isEmpty { break }
                        try await connection.send(bytes)
                    }
                }
            }
            let engine = try TCPEngine(configuration: .init(threads: 2))
            let connection = try await engine.connect(to: server.address, timeout: .seconds(5))
            #expect(connection.peerAddress == server.address)
            #expect(connection.localAddress.ip == IPAddress("127.0.0.1"))
            #expect(connection.localAddress.port != 0)
            try await connection.send("hello, engine")
            #expect(try await receive(13, from: connection) == Array("hello, engine".utf8))
            #expect(seen.withLock { $0 } == [connection.localAddress])
            await connection.close()
            await engine.shutdown()
            serving.cancel()
            await serving.value
        }

        @Test("connect from a chosen 127.0.0.0/8 address: the server sees that peer")
        func sourceAddress() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            var accepted = server.connections.makeAsyncIterator()
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let source = try SocketAddress(host: "127.0.0.42", port: 0)
            let connection = try await engine.connect(to: server.address, from: source, timeout: .seconds(5))
            let serverSide = try #require(await accepted.next())
            #expect(connection.localAddress.ip == source.ip)
            #expect(serverSide.peerAddress == connection.localAddress)
            #expect(serverSide.localAddress == server.address)
            await connection.close()
            await engine.shutdown()
            await server.shutdown()
        }

        @Test("IPv6: connect to ::1 from ::1; a source of the other family is refused")
        func ipv6() async throws {
            let server = try TCPServer(host: "::1", port: 0, configuration: .init(threads: 1))
            var accepted = server.connections.makeAsyncIterator()
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let source = try SocketAddress(host: "::1", port: 0)
            let connection = try await engine.connect(to: server.address, from: source, timeout: .seconds(5))
            let serverSide = try #require(await accepted.next())
            #expect(connection.peerAddress == server.address)
            #expect(serverSide.peerAddress == connection.localAddress)
            #expect(connection.localAddress.family == .ipv6)
            let mixed = await #expect(throws: EngineError.self) {
                _ = try await engine.connect(to: server.address, from: SocketAddress("127.0.0.1:0")!)
            }
            #expect(mixed?.errno == EAFNOSUPPORT && mixed?.operation == "bind", "\(String(describing: mixed))")
            await connection.close()
            await engine.shutdown()
            await server.shutdown()
        }

        @Test("connect from a pool binding; a released binding is refused")
        func fromBinding() async throws {
            let pool = IPPool(name: "engine-connect")
            try pool.addCIDRRange("127.79.0.0/30")
            let ip = try pool.allocate(subinstance: "t", resource: "client", type: .custom("http"))
            let binding = try #require(pool.binding(for: ip))
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            var accepted = server.connections.makeAsyncIterator()
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let connection = try await engine.connect(to: server.address, from: binding, timeout: .seconds(5))
            #expect(try #require(await accepted.next()).peerAddress.ip == ip)
            _ = try pool.release(ip)
            let error = await #expect(throws: EngineError.self) {
                _ = try await engine.connect(to: server.address, from: binding, timeout: .seconds(5))
            }
            #expect(error?.reason.contains("released") == true, "\(String(describing: error))")
            await connection.close()
            await engine.shutdown()
            await server.shutdown()
        }

        @Test("nothing listens: ECONNREFUSED")
        func refused() async throws {
            // A bound socket that does not listen holds the port: the SYN is answered with RST.
            let (fd, port) = try boundSocket(backlog: nil)
            defer { close(fd) }
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let error = await #expect(throws: EngineError.self) {
                _ = try await engine.connect(to: SocketAddress(ip: IPAddress("127.0.0.1")!, port: port))
            }
            #expect(error?.errno == ECONNREFUSED, "\(String(describing: error))")
            #expect(error?.operation == "connect")
            await engine.shutdown()
        }

        @Test("a SYN nobody answers: ETIMEDOUT after the timeout, not before")
        func timeout() async throws {
            // backlog 0 and never accepting: once one connection waits in the accept queue the
            // kernel drops further SYNs, so a connect stays in SYN_SENT (loopback only).
            let (fd, port) = try boundSocket(backlog: 0)
            defer { close(fd) }
            let fillers = fillAcceptQueue(port: port)
            defer { for filler in fillers { close(filler) } }
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let target = SocketAddress(ip: IPAddress("127.0.0.1")!, port: port)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: EngineError.self) {
                _ = try await engine.connect(to: target, timeout: .milliseconds(300))
            }
            let elapsed = clock.now - start
            #expect(error?.errno == ETIMEDOUT, "\(String(describing: error))")
            #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(3), "\(elapsed)")
            // A timeout that has run out before the loop starts the connect ends the same way.
            let instant = await #expect(throws: EngineError.self) {
                _ = try await engine.connect(to: target, timeout: .nanoseconds(1))
            }
            #expect(instant?.errno == ETIMEDOUT, "\(String(describing: instant))")
            await engine.shutdown()
        }

        @Test("200 concurrent connects all succeed and echo; no descriptor is left open")
        func manyConcurrent() async throws {
            let before = openDescriptorCount()
            do {
                var configuration = TCPServer.Configuration(threads: 2)
                configuration.backlog = 1024
                let server = try TCPServer(address: SocketAddress("127.0.0.1:0")!, configuration: configuration)
                let serving = Task { await server.serve(handlers: { EchoHandler($0) }) }
                let engine = try TCPEngine(configuration: .init(threads: 2))
                let echoed = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let connection = try await engine.connect(to: server.address, timeout: .seconds(10))
                            let message = Array("connection \(index)".utf8)
                            try await connection.send(message)
                            let reply = try await receive(message.count, from: connection)
                            await connection.close()
                            return reply == message
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(echoed == 200)
                await engine.shutdown()
                serving.cancel()
                await serving.value
            }
            #expect(openDescriptorCount() == before, "\(openDescriptors())")
        }

        @Test("a connection drives a TCPConnectionHandler set with setHandler")
        func handler() async throws {
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
            var accepted = server.connections.makeAsyncIterator()
            let engine = try TCPEngine(configuration: .init(threads: 1))
            let connection = try await engine.connect(to: server.address, timeout: .seconds(5))
            let ends = EndLog()
            await connection.setHandler(EchoHandler(connection, ends: ends))
            let serverSide = try #require(await accepted.next())
            try await serverSide.send("ping through the handler")
            #expect(try await receive(24, from: serverSide) == Array("ping through the handler".utf8))
            await serverSide.close()
            // The handler hears the end of stream, and its connection closes.
            for _ in 0..<200 where ends.entries.withLock({ $0.isEmpty }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(ends.entries.withLock { $0 } == ["end of stream"])
            await engine.shutdown()
            await server.shutdown()
        }

        @Test("shutdown with open outbound connections and a pending connect")
        func shutdownWithOpenConnections() async throws {
            // Task.sleep's first use opens the runtime's timerfd: open it before counting.
            try await Task.sleep(for: .milliseconds(1))
            let before = openDescriptorCount()
            let beforeList = openDescriptors()
            do {
                let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
                let serving = Task {
                    await server.serve { connection in _ = try await connection.recv() }
                }
                let (fd, port) = try boundSocket(backlog: 0)
                let fillers = fillAcceptQueue(port: port)
                let engine = try TCPEngine(configuration: .init(threads: 2))
                var open: [TCPConnection] = []
                for _ in 0..<3 { open.append(try await engine.connect(to: server.address, timeout: .seconds(5))) }
                let reader = open[0]
                let pendingRecv = Task { try await reader.recv() }
                let pendingConnect = Task {
                    try await engine.connect(to: SocketAddress(ip: IPAddress("127.0.0.1")!, port: port), timeout: .seconds(30))
                }
                try await Task.sleep(for: .milliseconds(100))
                let clock = ContinuousClock()
                let start = clock.now
                await engine.shutdown()
                // Not the 5 s grace period: the pending connect ends at once.
                #expect(clock.now - start < .seconds(2))
                // The waiting recv sees the end of its stream; the connect is cancelled.
                #expect(try await pendingRecv.value == [])
                let error = await #expect(throws: EngineError.self) { _ = try await pendingConnect.value }
                #expect(error?.errno == ECANCELED, "\(String(describing: error))")
                // Connecting after shutdown is refused, not lost.
                await #expect(throws: EngineError.self) { _ = try await engine.connect(to: server.address) }
                open.removeAll()
                for filler in fillers { close(filler) }
                close(fd)
                serving.cancel()
                await serving.value
            }
            #expect(openDescriptorCount() == before, "\(openDescriptors().filter { beforeList[$0.key] == nil })")
        }
    }
}

/// Reads exactly `count` bytes (fewer if the stream ends).
private func receive(_ count: Int, from connection: TCPConnection) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
        let chunk = try await connection.recv()
        if chunk.isEmpty { break }
        bytes += chunk
    }
    return bytes
}

/// A TCP socket bound to 127.0.0.1 on a free port, listening with `backlog` if given.
private func boundSocket(backlog: Int32?) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    try #require(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    try #require(bound)
    if let backlog { try #require(listen(fd, backlog) == 0) }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// Non-blocking connects to 127.0.0.1:`port` until the listener's accept queue is full (the
/// caller closes them): with backlog 0 the first is queued and the kernel drops later SYNs.
private func fillAcceptQueue(port: UInt16) -> [Int32] {
    (0..<2).map { _ in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        usleep(20_000)  // let the handshake finish before the next SYN
        return fd
    }
}
