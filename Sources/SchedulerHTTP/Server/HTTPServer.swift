public import SchedulerEngine
@_spi(SchedulerInternals) public import SchedulerPool
public import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server on the engine's event loops: keep-alive, pipelining, chunked bodies both
/// ways with backpressure, `Expect: 100-continue`, and a strict parser that answers malformed
/// requests with 400 and closes.
///
/// One server may listen on several addresses at once (one tenant's pool address each), added
/// and removed while it runs; every request tells its handler which local address it came to.
///
/// ```swift
/// let server = try HTTPServer(host: "127.0.0.1", port: 8080) { request in
///     .text("Hello, World!")
/// }
/// await server.run()  // until shutdown() or the task is cancelled
/// ```
public final class HTTPServer: Service {
    private let responder: any HTTPResponder
    private let configuration: Configuration
    private let state = FutexMutex(ServerState())

    /// A server with no listener yet: add them with ``listen(on:)`` or ``listen(on:port:)``.
    public init(configuration: Configuration = Configuration(), responder: some HTTPResponder) {
        self.responder = responder
        self.configuration = configuration
    }

    /// Listens on `address` and answers with `responder`.
    public convenience init(
        address: SocketAddress, configuration: Configuration = Configuration(), responder: some HTTPResponder
    ) throws(EngineError) {
        self.init(configuration: configuration, responder: responder)
        try listen(on: address)
    }

    /// Listens on `host` and `port` and answers with `handler`.
    public convenience init(
        host: String, port: UInt16, configuration: Configuration = Configuration(),
        handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) throws(EngineError) {
        let address: SocketAddress
        do {
            address = try SocketAddress(host: host, port: port)
        } catch {
            throw EngineError(operation: .parseAddress, target: host, reason: "\(error)")
        }
        try self.init(address: address, configuration: configuration, responder: HTTPClosureResponder(handler))
    }

    /// The addresses the server listens on, in the order they were added (ports as bound).
    public var addresses: [SocketAddress] { state.withLock { $0.listeners.map(\.tcp.address) } }

    /// The first address the server listened on (also after it stopped listening there).
    public var address: SocketAddress {
        state.withLock { $0.listeners.first?.tcp.address ?? $0.firstAddress ?? SocketAddress(ip: IPAddress(ipv4: 0), port: 0) }
    }

    /// Keep-alive connections parked right now: open, idle, and holding no task (see
    /// ``Configuration/parkIdleAfter``).
    public var parkedConnections: Int {
        state.withLock { $0.listeners.reduce(0) { $0 + $1.registry.parkedCount } }
    }

    /// Whether ``run()`` has started serving (and ``shutdown()`` has not finished).
    public var isRunning: Bool { state.withLock { $0.running && !$0.stopped } }

    /// What the engine runs on, e.g. `io_uring SINGLE_ISSUER DEFER_TASKRUN NODROP`.
    public var features: String { state.withLock { $0.listeners.first?.tcp.features ?? "" } }

    /// Starts listening on `address` (port 0 picks a free one) and returns the bound address;
    /// on a running server it serves at once.
    @discardableResult
    public func listen(on address: SocketAddress) throws(EngineError) -> SocketAddress {
        let tcp = try TCPServer(address: address, configuration: configuration.engine)
        let listener = Listener(tcp: tcp, parkAfter: configuration.parkIdleAfter)
        let start = state.withLock { state -> Bool in
            state.listeners.append(listener)
            if state.firstAddress == nil { state.firstAddress = tcp.address }
            return state.running && !state.shuttingDown
        }
        if start { startServing(listener) }
        return tcp.address
    }

    /// Starts listening on a pool binding's address (a tenant's own IP); throws if the binding
    /// has been released.
    @discardableResult
    public func listen(on binding: IPBinding, port: UInt16) throws(EngineError) -> SocketAddress {
        guard binding.isActive else {
            throw EngineError(
                operation: .bind, target: "\(binding.ip):\(port)",
                reason: "the binding of \(binding.ip) to \(binding.subinstance)/\(binding.resource) was released")
        }
        let bound = try listen(on: SocketAddress(ip: binding.ip, port: port))
        // A tenant that lost its address keeps no listener on it: the pool's release stops it.
        let observation = binding.onRelease { [weak self] _ in
            guard let self else { return }
            Task { await self.stopListening(on: bound) }
        }
        state.withLock { state in
            state.listeners.first { $0.tcp.address == bound }?.releaseObservation = observation
        }
        return bound
    }

    /// Listens on a pool binding's address and answers with `responder`.
    public convenience init(
        binding: IPBinding, port: UInt16, configuration: Configuration = Configuration(),
        responder: some HTTPResponder
    ) throws(EngineError) {
        self.init(configuration: configuration, responder: responder)
        try listen(on: binding, port: port)
    }

    /// Stops listening on `address`: its idle connections close, its requests in flight finish
    /// (for at most the engine's `shutdownGracePeriod`). Other addresses are not affected.
    public func stopListening(on address: SocketAddress) async {
        let matching = state.withLock { state -> [Listener] in
            func matches(_ listener: Listener) -> Bool {
                listener.tcp.address == address || (listener.tcp.address.ip == address.ip && address.port == 0)
            }
            let gone = state.listeners.filter(matches)
            state.listeners.removeAll { listener in gone.contains { $0 === listener } }
            state.stopping += gone
            // A stop already under way (the pool's release, say) is waited for too.
            return state.stopping.filter(matches)
        }
        for listener in matching { await stop(listener) }
    }

    /// Serves every listener, those added later too, until ``shutdown()``, cancellation of the
    /// calling task or a graceful shutdown of its `ServiceGroup` (SIGTERM, say); returns when
    /// the requests in flight have been answered and every connection has closed.
    public func run() async {
        await withGracefulShutdownHandler {
            await serve()
        } onGracefulShutdown: {
            self.beginShutdown()
        }
    }

    private func serve() async {
        let listeners = state.withLock { state -> [Listener] in
            guard !state.running else { return [] }
            state.running = true
            return state.listeners
        }
        for listener in listeners { startServing(listener) }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let stopped = state.withLock { state -> Bool in
                    if state.stopped { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if stopped { continuation.resume() }
            }
        } onCancel: {
            Task { await self.shutdown() }
        }
    }

    /// Closes idle connections, lets the requests in flight finish (for at most the engine's
    /// `shutdownGracePeriod`), then stops every listener and waits for it.
    public func shutdown() async {
        let listeners = state.withLock { state -> [Listener] in
            state.shuttingDown = true
            state.stopping += state.listeners
            state.listeners.removeAll()
            return state.stopping
        }
        await withTaskGroup(of: Void.self) { group in
            for listener in listeners { group.addTask { await self.stop(listener) } }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Starts ``shutdown()`` without waiting for it.
    public func beginShutdown() {
        Task { await self.shutdown() }
    }

    private func startServing(_ listener: Listener) {
        let responder = self.responder
        let configuration = self.configuration
        let local = listener.tcp.address
        let registry = listener.registry
        // The deadlines' sweeper and the accepting run on the listener's first loop thread, so
        // neither waits for a thread of the global pool (which the application may keep busy).
        let sweeper = Task(executorPreference: listener.tcp.executor) { await registry.sweep() }
        let serving = Task(executorPreference: listener.tcp.executor) {
            await listener.tcp.serve { connection in
                // The driver removes the slot when the connection ends (perhaps in a later task,
                // if it was parked while idle).
                let slot = registry.register(connection)
                let driver = ServerConnection(
                    connection: connection, responder: responder, configuration: configuration,
                    deadline: slot, registry: registry, localAddress: local)
                await driver.serve()
            }
            sweeper.cancel()
        }
        listener.setTask(serving)
    }

    /// Stops `listener` once, however many callers ask; each returns when it has stopped.
    private func stop(_ listener: Listener) async {
        let grace = configuration.engine.shutdownGracePeriod
        await listener.stopOnce {
            listener.releaseObservation?.cancel()
            await listener.registry.drain(grace: grace)
            await listener.tcp.shutdown()
            await listener.task?.value
        }.value
        state.withLock { $0.stopping.removeAll { $0 === listener } }
    }
}

/// What a server holds under its lock.
struct ServerState {
    var listeners: [Listener] = []
    var firstAddress: SocketAddress?
    var running = false
    var shuttingDown = false
    /// Listeners removed and still stopping (their connections draining).
    var stopping: [Listener] = []
    var stopped = false
    var waiters: [CheckedContinuation<Void, Never>] = []
}

/// One listening address of a server, its connections' deadlines and the task serving it.
final class Listener: Sendable {
    let tcp: TCPServer
    let registry: ConnectionDeadlines
    private let serving = FutexMutex<Task<Void, Never>?>(nil)
    private let observation = FutexMutex<ReleaseObservation?>(nil)
    private let stopping = FutexMutex<Task<Void, Never>?>(nil)

    init(tcp: TCPServer, parkAfter: Duration?) {
        self.tcp = tcp
        registry = ConnectionDeadlines(tick: .milliseconds(100), parkAfter: parkAfter)
    }

    /// The task that stops this listener, started by the first caller with `body`.
    func stopOnce(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        stopping.withLock { task in
            if let task { return task }
            let started = Task { await body() }
            task = started
            return started
        }
    }

    /// The pool registration that stops this listener when its binding is released.
    var releaseObservation: ReleaseObservation? {
        get { observation.withLock { $0 } }
        set { observation.withLock { $0 = newValue } }
    }

    var task: Task<Void, Never>? { serving.withLock { $0 } }

    func setTask(_ task: Task<Void, Never>) { serving.withLock { $0 = task } }
}
