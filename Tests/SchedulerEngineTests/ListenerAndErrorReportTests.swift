import TestSupport
import Dispatch
import Glibc
import Logging
import SchedulerPool
import SchedulerSocket
import Synchronization
import Testing

@testable import SchedulerEngine

/// Connects a blocking TCP socket to `address`; the descriptor, or -errno.
private func connectTo(_ address: SocketAddress) -> Int32 {
    connectLoopback(port: address.port, host: address.ip.ipv4Value!)
}

/// Waits up to `seconds` for each of `clients` (blocking sockets, each of which sent one "x") to
/// have it echoed, reading each echo; returns those still waiting, or nil if one closed or sent
/// something else.
private func awaitingEcho(_ clients: [Int32], within seconds: Double) -> [Int32]? {
    var waiting = clients
    let deadline = monotonicSeconds() + seconds
    while !waiting.isEmpty && monotonicSeconds() < deadline {
        var polls = waiting.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&polls, nfds_t(polls.count), 100) <= 0 { continue }
        for entry in polls where entry.revents != 0 {
            var byte: UInt8 = 0
            guard read(entry.fd, &byte, 1) == 1, byte == UInt8(ascii: "x") else { return nil }
            waiting.removeAll { $0 == entry.fd }
        }
    }
    return waiting
}

/// Binds and listens a plain socket with SO_REUSEPORT on `address`, as another process
/// would; 0 or -errno (the socket is closed either way).
private func listenWithReusePort(_ address: SocketAddress) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
    var sockaddress = sockaddr_in()
    sockaddress.sin_family = sa_family_t(AF_INET)
    sockaddress.sin_port = address.port.bigEndian
    sockaddress.sin_addr.s_addr = address.ip.ipv4Value!.bigEndian
    let rc = withUnsafePointer(to: &sockaddress) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if rc < 0 { return -errno }
    return listen(fd, 16) < 0 ? -errno : 0
}

/// Awaits `task`, or cancels it after `seconds` (cancelling `serve` shuts its server down);
/// true if it finished by itself.
private func finishes(_ task: Task<Void, Never>, within seconds: Int) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await task.value
            return true
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return false
        }
        let first = await group.next()!
        if !first { task.cancel() }
        group.cancelAll()
        return first
    }
}

/// What a `CollectingLogHandler` was given.
private final class LogRecords: Sendable {
    let entries = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
}

/// A log handler that keeps what it is given.
private struct CollectingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(into records: LogRecords) { self.records = records }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.entries.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
    }
}

/// Thrown by the failing handlers below.
private struct HandlerBroke: Error, Equatable {
    let detail: String
}

extension EngineTests {
    /// On whichever backend `SCHEDULER_CORE_BACKEND` selects (`make test` runs both).
    @Suite("Listener sharing, handler errors, released bindings on the selected backend")
    struct ListenerAndErrorReportTests {
        @Test("a second server on an address in use fails with EADDRINUSE, also for a SO_REUSEPORT socket")
        func secondServerIsRefused() async throws {
            let before = openDescriptors()
            let first = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
            do {
                _ = try TCPServer(address: first.address, configuration: .init(threads: 2))
                Issue.record("a second server on \(first.address) started")
            } catch {
                #expect(error.errno == .addressInUse)
                #expect(error.operation == .bind)
                #expect(error.description.contains("EADDRINUSE"))
            }
            // Another process's SO_REUSEPORT socket cannot join the server's port either.
            #expect(listenWithReusePort(first.address) == -EADDRINUSE)
            await first.shutdown()
            #expect(await descriptorsLeaked(since: before) == nil)
        }

        @Test("servers that opt into reusePort share the port, and each keeps working without the other")
        func optInSharing() async throws {
            var configuration = TCPServer.Configuration(threads: 2)
            configuration.reusePort = true
            let first = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let second = try TCPServer(address: first.address, configuration: configuration)
            #expect(second.address == first.address)
            let firstTask = serving(first)
            let secondTask = serving(second)
            await first.shutdown()
            await firstTask.value
            for _ in 0..<8 {  // all go to the second server now
                let fd = connectTo(second.address)
                #expect(fd >= 0)
                if fd >= 0 {
                    #expect(write(fd, "ping", 4) == 4)
                    var reply = [UInt8](repeating: 0, count: 4)
                    #expect(read(fd, &reply, 4) == 4)
                    #expect(reply == Array("ping".utf8))
                    close(fd)
                }
            }
            await second.shutdown()
            await secondTask.value
        }

        @Test("a server of several loops accepts on every loop: while one is busy, another takes the new connections")
        func everyLoopAccepts() async throws {
            let before = openDescriptors()
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
            let loops = Mutex<[ObjectIdentifier]>([])
            let busyLoopReleased = DispatchSemaphore(value: 0)
            let task = Task {
                await server.serve { connection in
                    let loop = ObjectIdentifier(connection.executor as AnyObject)
                    let first = loops.withLock {
                        $0.append(loop)
                        return $0.count == 1
                    }
                    // The first connection's handler holds its loop's thread, as long work
                    // would: that loop cannot accept until it is released.
                    if first { _ = busyLoopReleased.wait(timeout: .now() + 20) }
                    try await echo(connection)
                }
            }
            let port = server.address.port
            let outcome = try await Background { () -> (servedWhileBusy: Int, servedAfter: Int) in
                let busy = connectLoopback(port: port)
                guard busy >= 0 else { return (-1, -1) }
                defer { close(busy) }
                let deadline = monotonicSeconds() + 10
                while loops.withLock({ $0.isEmpty }) && monotonicSeconds() < deadline { usleep(1_000) }
                var clients: [Int32] = []
                defer { for fd in clients { close(fd) } }
                for _ in 0..<20 {
                    let fd = connectLoopback(port: port)
                    if fd >= 0 { clients.append(fd) }
                }
                for fd in clients { _ = write(fd, "x", 1) }
                let stillWaiting = awaitingEcho(clients, within: 10)
                busyLoopReleased.signal()
                _ = write(busy, "x", 1)
                guard let stillWaiting, let waitingAfter = awaitingEcho(stillWaiting + [busy], within: 10) else {
                    return (-1, -1)
                }
                return (20 - stillWaiting.count, 21 - waitingAfter.count)
            }.outcome()
            let seen = loops.withLock { $0 }
            // A loop about to block may already hold the next connection in its armed accept
            // (io_uring takes it when the loop returns to the kernel), so one may wait.
            #expect(outcome.servedWhileBusy >= 19, "echoed while one loop was busy: \(outcome.servedWhileBusy) of 20")
            #expect(outcome.servedAfter == 21, "echoed once released: \(outcome.servedAfter) of 21")
            #expect(Set(seen).count == 2, "connections per loop: \(Dictionary(grouping: seen, by: { $0 }).mapValues(\.count).values.sorted())")
            await server.shutdown()
            await task.value
            #expect(await descriptorsLeaked(since: before) == nil)
        }

        @Test("an error thrown by a handler reaches onHandlerError with the peer and the operation")
        func handlerErrorReachesTheHook() async throws {
            let failures = Mutex<[HandlerFailure]>([])
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.onHandlerError = { failure in failures.withLock { $0.append(failure) } }
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let task = serving(server) { connection in
                let bytes = try await connection.recv()
                throw HandlerBroke(detail: String(decoding: bytes, as: UTF8.self))
            }
            let fd = connectTo(server.address)
            try #require(fd >= 0)
            var local = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            #expect(write(fd, "boom", 4) == 4)
            var byte: UInt8 = 0
            #expect(read(fd, &byte, 1) == 0)  // the server closed the connection after the error
            close(fd)
            await server.shutdown()
            await task.value
            let seen = failures.withLock { $0 }
            try #require(seen.count == 1)
            #expect(seen[0].error as? HandlerBroke == HandlerBroke(detail: "boom"))
            #expect(seen[0].peer.description == "127.0.0.1:\(UInt16(bigEndian: local.sin_port))")
            #expect(seen[0].server == server.address)
            #expect(seen[0].operation == "connection handler")
            #expect(seen[0].description.hasPrefix("connection handler for 127.0.0.1:"))
        }

        @Test("without a hook, a handler's error is logged at error level through the configured Logger")
        func handlerErrorIsLoggedByDefault() async throws {
            let messages = LogRecords()
            var configuration = TCPServer.Configuration(threads: 1)
            configuration.logger = Logger(label: "test") { _ in CollectingLogHandler(into: messages) }
            let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: configuration)
            let task = serving(server) { _ in throw HandlerBroke(detail: "logged") }
            let fd = connectTo(server.address)
            try #require(fd >= 0)
            var byte: UInt8 = 0
            #expect(read(fd, &byte, 1) == 0)
            close(fd)
            await server.shutdown()
            await task.value
            let logged = messages.entries.withLock { $0 }
            try #require(logged.count == 1)
            #expect(logged[0].0 == .error)
            #expect(logged[0].1.contains("connection handler for 127.0.0.1:"))
            #expect(logged[0].1.contains("HandlerBroke"))
            #expect(logged[0].2["peer"] != nil && logged[0].2["operation"] == "connection handler")
        }

        @Test("when the pool releases its binding the server stops listening: a new connect is refused")
        func releasedBindingStopsTheListener() async throws {
            let before = openDescriptors()
            let pool = IPPool(name: "listener-release")
            try pool.addCIDRRange("127.77.0.0/29")
            let ip = try pool.allocate(subinstance: "tenant", resource: "web", type: .custom("socket"))
            let binding = try #require(pool.binding(for: ip))
            do {
                let server = try TCPServer(binding: binding, port: 0, configuration: .init(threads: 2))
                let task = serving(server)
                let fd = connectTo(server.address)
                #expect(fd >= 0)
                if fd >= 0 {
                    #expect(write(fd, "hi", 2) == 2)
                    var reply = [UInt8](repeating: 0, count: 2)
                    #expect(read(fd, &reply, 2) == 2)
                }
                try pool.release(subinstance: "tenant", resource: "web")
                // The release shuts the server down: serve returns without anyone calling shutdown.
                #expect(await finishes(task, within: 10))
                if fd >= 0 {
                    var byte: UInt8 = 0
                    #expect(read(fd, &byte, 1) == 0)  // the open connection was closed too
                    close(fd)
                }
                #expect(connectTo(server.address) == -ECONNREFUSED)
                await server.shutdown()
            }
            // The concurrency runtime may keep a timerfd from the sleep in `finishes`; the
            // engine opens none.
            let leaked = await descriptorsLeaked(since: before)?.filter { !$0.hasSuffix("anon_inode:[timerfd]") }
            #expect(leaked ?? [] == [], "\(leaked ?? [])")
        }
    }
}
