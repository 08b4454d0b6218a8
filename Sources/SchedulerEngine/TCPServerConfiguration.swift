import Glibc
import Logging
import SchedulerSocket

extension TCPServer {
    /// How many loops a server runs, on which backend, and how much memory each may use.
    public struct Configuration: Sendable {
        /// Event-loop threads, each with its own ring (or epoll set), all accepting on the
        /// server's one listening socket.
        public var threads: Int
        /// The I/O backend; nil follows `SCHEDULER_CORE_BACKEND`, then what the kernel allows.
        public var backend: IOBackend?
        /// The listen(2) backlog of each loop's listener.
        public var backlog: Int32
        /// The most connections one loop holds at once (16384 unless told: one loop keeps 10,000
        /// idle keep-alive clients); further accepts are closed at once.
        public var maxConnectionsPerThread: Int
        /// Receive buffers per loop (a power of two); io_uring registers them as a buffer ring.
        public var receiveBufferCount: Int
        /// Bytes per receive buffer.
        public var receiveBufferSize: Int
        /// How long ``TCPServer/shutdown()`` lets queued bytes drain before it cuts the connections
        /// that still have some (a peer that stopped reading would otherwise hold it forever).
        public var shutdownGracePeriod: Duration
        /// How long a connection closed with bytes still queued lets them drain before it is cut
        /// and its unsent bytes fail with `ETIMEDOUT` (a peer that stopped reading would
        /// otherwise keep it, and its memory, forever).
        public var closeGracePeriod: Duration
        /// Lets other sockets listen on the same address and port (SO_REUSEPORT): set it on
        /// every server that is meant to share the port, e.g. an old and a new process during a
        /// restart. Off by default: a second server on an address in use fails with EADDRINUSE,
        /// so a stale process cannot silently take part of the connections.
        public var reusePort: Bool
        /// Where errors thrown by ``TCPServer/serve(_:)`` handlers go; nil logs them to
        /// ``logger`` at error level with the peer, the listening address and the operation.
        public var onHandlerError: (@Sendable (HandlerFailure) -> Void)?
        /// The logger the server reports through (handler errors, a released binding).
        public var logger: Logger

        /// The defaults: one thread per online core, backend from the environment.
        public init(threads: Int? = nil, backend: IOBackend? = nil) {
            self.threads = threads ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            self.backend = backend
            self.backlog = 1024
            self.maxConnectionsPerThread = 16384
            self.receiveBufferCount = 256
            self.receiveBufferSize = 65536
            self.shutdownGracePeriod = .seconds(5)
            self.closeGracePeriod = .seconds(5)
            self.reusePort = false
            self.onHandlerError = nil
            self.logger = Logger(label: "SchedulerEngine.TCPServer")
        }
    }
}
