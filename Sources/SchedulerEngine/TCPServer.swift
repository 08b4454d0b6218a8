import CSchedulerEngine
import Glibc
import Logging
@_spi(SchedulerInternals) import SchedulerPool
import SchedulerSocket
import Synchronization

/// An async TCP server on one event loop per thread (io_uring, or epoll where io_uring is
/// unavailable), yielding each accepted ``TCPConnection``.
///
/// ```swift
/// import SchedulerCore
///
/// let server = try TCPServer(host: "127.0.0.1", port: 8080)
/// // Echo every connection until the task is cancelled or `shutdown()` is called.
/// await server.serve { connection in
///     while true {
///         let bytes = try await connection.recv()
///         if bytes.isEmpty { break }  // the peer closed its side
///         try await connection.send(bytes)
///     }
/// }
/// ```
///
/// ``serve(_:)`` runs each handler as a child task on its connection's loop thread and closes
/// the connection when the handler returns; an error it throws goes to
/// ``Configuration/onHandlerError`` (logged by default). For full control iterate
/// ``connections`` instead.
///
/// The loops share one listening socket, which no other socket can join unless
/// ``Configuration/reusePort`` is set: a second server on an address in use fails with
/// EADDRINUSE.
/// ``shutdown()`` stops accepting, closes every connection once its queued bytes are sent (so
/// a pending `recv` returns end of stream), stops the loops and waits for all of that.
public final class TCPServer: Sendable {
    /// The address the server listens on, with the port the kernel chose if 0 was asked.
    public let address: SocketAddress
    /// The backend the loops run on.
    public let backend: IOBackend
    /// What the first loop's backend set up, e.g. `io_uring SINGLE_ISSUER DEFER_TASKRUN NODROP`.
    public let features: String
    /// The accepted connections, in order; iterate them from one task only.
    public let connections: AsyncStream<TCPConnection>

    let loops: [EngineLoop]

    /// The first loop's executor: a task that prefers it runs on that loop's thread and needs
    /// no thread of the global pool (HTTPServer's timers run there).
    public var executor: any TaskExecutor { loops[0] }
    private let lifecycle: Lifecycle
    private let routing: AcceptRouting
    private let onHandlerError: @Sendable (HandlerFailure) -> Void
    private let logger: Logger
    /// The watch on the pool binding the server listens on (`init(binding:port:configuration:)`).
    private let releaseObservation = FutexMutex<ReleaseObservation?>(nil)

    /// Listens on `address` (the port may be 0 for any free port).
    public init(address: SocketAddress, configuration: Configuration = Configuration())
        throws(EngineError)
    {
        let target = address.description
        guard configuration.threads >= 1 else {
            throw EngineError(
                operation: .configure, target: target, reason: "threads must be at least 1")
        }
        let backend = try EngineBackend.resolve(configuration.backend)
        var config = cse_config()
        cse_config_init(&config)
        config.backend = EngineBackend.code(backend)
        config.family = address.family == .ipv4 ? AF_INET : AF_INET6
        let bytes = address.ip.bytes
        withUnsafeMutableBytes(of: &config.address) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        config.port = address.port
        config.backlog = configuration.backlog
        config.max_connections = UInt32(clamping: configuration.maxConnectionsPerThread)
        config.buffer_count = UInt32(clamping: configuration.receiveBufferCount)
        config.buffer_size = UInt32(clamping: configuration.receiveBufferSize)
        config.shutdown_grace_ms = milliseconds(configuration.shutdownGracePeriod)
        config.close_grace_ms = milliseconds(configuration.closeGracePeriod)
        config.reuse_port = configuration.reusePort ? 1 : 0

        // One listening socket for all loops (see engine_listener.c for why); each loop
        // accepts on its own duplicate, so this one is closed once they have started.
        var listener: Int32 = -1
        var listenerPort: Int32 = 0
        var failed: UnsafePointer<CChar>?
        let opened = cse_listener_open(&config, &listener, &listenerPort, &failed)
        guard opened == 0 else {
            let operation = failed.map { EngineOperation(cName: String(cString: $0)) } ?? .listen
            throw EngineError(operation: operation, target: target, errnoCode: -opened)
        }
        defer { close(listener) }
        config.shared_listener = 1
        config.listener_fd = listener
        config.port = UInt16(listenerPort)

        let (stream, continuation) = AsyncStream.makeStream(of: TCPConnection.self)
        let lifecycle = Lifecycle(loopCount: configuration.threads, continuation: continuation)
        let routing = AcceptRouting(loopCount: configuration.threads, merged: continuation)
        var loops: [EngineLoop] = []
        do throws(EngineError) {
            for index in 0..<configuration.threads {
                let loop = try EngineLoop(
                    config: config,
                    onAccept: { connection in routing.deliver(connection, loop: index) },
                    onStopped: {
                        routing.loopStopped(index)
                        lifecycle.loopStopped()
                    }, target: target)
                loops.append(loop)
            }
        } catch {
            lifecycle.abandon(started: loops.count)
            for loop in loops { loop.shutdown() }
            throw error
        }
        self.loops = loops
        self.lifecycle = lifecycle
        self.routing = routing
        self.connections = stream
        self.backend = backend
        self.features = loops[0].features
        self.address = SocketAddress(ip: address.ip, port: loops[0].localPort)
        let logger = configuration.logger
        self.logger = logger
        self.onHandlerError = configuration.onHandlerError ?? { failure in failure.log(to: logger) }
    }

    /// Listens on `host` (IPv4 or IPv6 text) and `port`.
    public convenience init(
        host: String, port: UInt16, configuration: Configuration = Configuration()
    )
        throws(EngineError)
    {
        let address: SocketAddress
        do {
            address = try SocketAddress(host: host, port: port)
        } catch {
            throw EngineError(operation: .parseAddress, target: host, reason: "\(error)")
        }
        try self.init(address: address, configuration: configuration)
    }

    /// Listens on a pool binding's IP; throws if the binding has been released.
    ///
    /// When the pool releases the binding later, the server shuts down as ``beginShutdown()``
    /// does: it stops listening at once (a new connect is refused) and closes its connections
    /// after their queued bytes, so a tenant that lost its address keeps nothing on it.
    public convenience init(
        binding: IPBinding, port: UInt16, configuration: Configuration = Configuration()
    )
        throws(EngineError)
    {
        guard binding.isActive else {
            throw EngineError(
                operation: .bind, target: "\(binding.ip):\(port)",
                reason:
                    "the binding of \(binding.ip) to \(binding.subinstance)/\(binding.resource) was released")
        }
        try self.init(address: SocketAddress(ip: binding.ip, port: port), configuration: configuration)
        // Registered after the check above: a release in between fires at once.
        let observation = binding.onRelease { [weak self] released in
            guard let self else { return }
            self.logger.notice(
                "binding released: no longer listening on \(self.address)",
                metadata: ["binding": "\(released)", "server": "\(self.address)"])
            self.beginShutdown()
        }
        releaseObservation.withLock { $0 = observation }
    }

    deinit {
        releaseObservation.withLock { $0 }?.cancel()
        for loop in loops { loop.shutdown() }
    }

    /// Accepts connections and runs `handler` for each on its loop thread until shutdown.
    ///
    /// Cancelling the calling task shuts the server down. A handler's error ends only its own
    /// connection, which is closed when the handler returns. Returns once every handler has
    /// finished and every loop has stopped.
    public func serve(_ handler: @escaping @Sendable (TCPConnection) async throws -> Void) async {
        await withTaskCancellationHandler {
            // Each loop's connections are taken by a task on that loop's thread: serving goes on
            // while one loop is busy, and while the global pool's threads are all busy (or blocked
            // by someone's synchronous code). Those accepted before this call are in `connections`.
            routing.beginServing()
            await withDiscardingTaskGroup { group in
                for (loop, stream) in zip(loops, routing.loopStreams) {
                    group.addTask(executorPreference: loop) { await self.serveAll(stream, handler) }
                }
                group.addTask(executorPreference: globalConcurrentExecutor) {
                    await self.serveAll(self.connections, handler)
                }
            }
        } onCancel: {
            self.beginShutdown()
        }
        await shutdown()
    }

    /// Runs `handler` for every connection of `stream`, each as a child task on its own loop.
    private func serveAll(
        _ stream: AsyncStream<TCPConnection>, _ handler: @escaping @Sendable (TCPConnection) async throws -> Void
    ) async {
        await withDiscardingTaskGroup { group in
            for await connection in stream {
                group.addTask(executorPreference: connection.executor) {
                    await connection.core.runCovered {
                        do {
                            try await handler(connection)
                        } catch is CancellationError {
                            // The server is shutting down: not the handler's failure.
                        } catch {
                            self.onHandlerError(
                                HandlerFailure(
                                    error: error, peer: connection.peerAddress, server: self.address,
                                    operation: "connection handler"))
                        }
                    }
                    // A parked connection belongs to the task its callback started.
                    if !connection.core.wasParked { await connection.close() }
                }
            }
        }
    }

    /// Stops accepting and starts closing every connection; returns at once.
    public func beginShutdown() {
        for loop in loops { loop.shutdown() }
    }

    /// Stops accepting, closes every connection after its queued bytes, and waits until the
    /// loops have stopped and every descriptor is closed. Connections whose bytes have not
    /// drained within ``Configuration/shutdownGracePeriod`` are cut (their sends fail).
    public func shutdown() async {
        beginShutdown()
        await lifecycle.waitStopped()
        releaseObservation.withLock { $0 }?.cancel()
    }
}

/// Counts stopped loops; finishes `connections` and wakes `shutdown()` when all have stopped.
private final class Lifecycle: Sendable {
    private struct State {
        var running: Int
        var waiters: [UnsafeContinuation<Void, Never>] = []
    }
    private let state: FutexMutex<State>
    private let continuation: AsyncStream<TCPConnection>.Continuation

    init(loopCount: Int, continuation: AsyncStream<TCPConnection>.Continuation) {
        state = FutexMutex(State(running: loopCount))
        self.continuation = continuation
    }

    /// Only `started` loops came up: the others will never report.
    func abandon(started: Int) {
        state.withLock { $0.running = started }
        if started == 0 { continuation.finish() }
    }

    func loopStopped() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>]? in
            state.running -= 1
            guard state.running == 0 else { return nil }
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return }
        continuation.finish()
        for waiter in waiters { waiter.resume() }
    }

    func waitStopped() async {
        await withUnsafeContinuation { (waiter: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }
}

/// `duration` in whole milliseconds, clamped to what the C configuration holds.
private func milliseconds(_ duration: Duration) -> UInt32 {
    let parts = duration.components
    return UInt32(clamping: max(0, parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000))
}
