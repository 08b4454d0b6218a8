import CSchedulerEngine
import Glibc
import SchedulerPool
import SchedulerSocket
import Synchronization

/// Event loops of their own for outbound TCP connections (a client's), independent of any
/// ``TCPServer``: one loop per thread, io_uring or epoll, with no listener.
///
/// ```swift
/// let engine = try TCPEngine()
/// let connection = try await engine.connect(to: SocketAddress("127.0.0.1:8080")!)
/// try await connection.send("hello")
/// let reply = try await connection.recv()
/// await connection.close()
/// await engine.shutdown()
/// ```
///
/// Each connection is a ``TCPConnection`` like an accepted one (same `send`/`recv`, same
/// ``TCPConnectionHandler`` through ``TCPConnection/setHandler(_:)``), on one of the loops in
/// turn. ``shutdown()`` ends pending connects (`ECANCELED`), closes every connection once its
/// queued bytes are sent and stops the loops.
public final class TCPEngine: Sendable {
    /// The backend the loops run on.
    public let backend: IOBackend
    /// What the first loop's backend set up, e.g. `io_uring SINGLE_ISSUER DEFER_TASKRUN NODROP`.
    public let features: String

    private let loops: [EngineLoop]
    private let nextLoop = Atomic<Int>(0)
    private let stopped: LoopsStopped

    /// Starts `configuration.threads` loops.
    public init(configuration: Configuration = Configuration()) throws(EngineError) {
        guard configuration.threads >= 1 else {
            throw EngineError(operation: .configure, target: "engine", reason: "threads must be at least 1")
        }
        let backend = try EngineBackend.resolve(configuration.backend)
        var config = cse_config()
        cse_config_init(&config)
        config.backend = EngineBackend.code(backend)
        config.listen = 0
        config.max_connections = UInt32(clamping: configuration.maxConnectionsPerThread)
        config.buffer_count = UInt32(clamping: configuration.receiveBufferCount)
        config.buffer_size = UInt32(clamping: configuration.receiveBufferSize)
        config.shutdown_grace_ms = wholeMilliseconds(configuration.shutdownGracePeriod)
        config.close_grace_ms = wholeMilliseconds(configuration.closeGracePeriod)
        let stopped = LoopsStopped(count: configuration.threads)
        var loops: [EngineLoop] = []
        do throws(EngineError) {
            for _ in 0..<configuration.threads {
                loops.append(
                    try EngineLoop(
                        config: config, onAccept: { _ in }, onStopped: { stopped.loopStopped() },
                        target: "engine"))
            }
        } catch {
            stopped.abandon(started: loops.count)
            for loop in loops { loop.shutdown() }
            throw error
        }
        self.loops = loops
        self.stopped = stopped
        self.backend = backend
        self.features = loops[0].features
    }

    deinit {
        for loop in loops { loop.shutdown() }
    }

    /// Connects to `destination`, from `source` when given (its port may be 0: the kernel picks
    /// one), giving up after `timeout`.
    ///
    /// Throws ``EngineError`` with the errno: `ECONNREFUSED` when nothing listens there,
    /// `ETIMEDOUT` when `timeout` ran out, `EADDRNOTAVAIL` for a source address this host does
    /// not have, `ECANCELED` when the engine shut down first. The connect is not cancelled
    /// with the calling task: `timeout` bounds it.
    public func connect(
        to destination: SocketAddress, from source: SocketAddress? = nil,
        timeout: Duration = .seconds(30)
    ) async throws(EngineError) -> TCPConnection {
        let index = nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue
        let loop = loops[(index % loops.count + loops.count) % loops.count]
        return try await loop.connect(to: destination, from: source, timeout: timeout)
    }

    /// Connects to `destination` from a pool binding's IP (the kernel picks the port); throws
    /// if the pool no longer holds that binding, so a tenant that lost its address cannot
    /// send from it.
    public func connect(
        to destination: SocketAddress, from binding: IPBinding, timeout: Duration = .seconds(30)
    ) async throws(EngineError) -> TCPConnection {
        guard binding.isActive else {
            throw EngineError(
                operation: .bind, target: "\(binding.ip)",
                reason:
                    "the binding of \(binding.ip) to \(binding.subinstance)/\(binding.resource) was released")
        }
        return try await connect(
            to: destination, from: SocketAddress(ip: binding.ip, port: 0), timeout: timeout)
    }

    /// Ends pending connects and starts closing every connection; returns at once.
    public func beginShutdown() {
        for loop in loops { loop.shutdown() }
    }

    /// Ends pending connects, closes every connection after its queued bytes (cut after
    /// ``Configuration/shutdownGracePeriod``), and waits until the loops have stopped and every
    /// descriptor is closed.
    public func shutdown() async {
        beginShutdown()
        await stopped.wait()
    }
}

extension TCPEngine {
    /// How many loops an engine runs, on which backend, and how much memory each may use.
    public struct Configuration: Sendable {
        /// Event-loop threads; connections are spread over them in turn.
        public var threads: Int
        /// The I/O backend; nil follows `SCHEDULER_CORE_BACKEND`, then what the kernel allows.
        public var backend: IOBackend?
        /// The most connections (connecting or open) one loop holds at once (16384 unless
        /// told); beyond it a connect fails with `ENFILE`.
        public var maxConnectionsPerThread: Int
        /// Receive buffers per loop (a power of two); io_uring registers them as a buffer ring.
        public var receiveBufferCount: Int
        /// Bytes per receive buffer.
        public var receiveBufferSize: Int
        /// How long ``TCPEngine/shutdown()`` lets queued bytes drain before it cuts connections.
        public var shutdownGracePeriod: Duration
        /// How long a connection closed with bytes still queued lets them drain before it is cut.
        public var closeGracePeriod: Duration

        /// The defaults: one thread per online core, backend from the environment.
        public init(threads: Int? = nil, backend: IOBackend? = nil) {
            self.threads = threads ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            self.backend = backend
            self.maxConnectionsPerThread = 16384
            self.receiveBufferCount = 256
            self.receiveBufferSize = 65536
            self.shutdownGracePeriod = .seconds(5)
            self.closeGracePeriod = .seconds(5)
        }
    }
}

/// `duration` in whole milliseconds, clamped to what the C configuration holds.
private func wholeMilliseconds(_ duration: Duration) -> UInt32 {
    let parts = duration.components
    return UInt32(clamping: max(0, parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000))
}
