public import Logging
public import SchedulerEngine

extension HTTPServer {
    /// How an ``HTTPServer`` runs: its engine, limits and timeouts.
    public struct Configuration: Sendable {
        /// The engine under the server: threads, backend, buffers.
        public var engine: TCPServer.Configuration
        /// The largest request body accepted; a larger declared one gets 413 before it is read.
        public var maxBodySize: Int
        /// The largest request head (request line and fields), in bytes; larger gets 431.
        public var maxHeadSize: Int
        /// The most header fields a request may carry; more gets 431.
        public var maxHeaderFields: Int
        /// A connection without a complete request head this long after it opened (or after
        /// its request began) is closed.
        public var headerTimeout: Duration
        /// A connection with no request this long after its last response is closed.
        public var idleTimeout: Duration
        /// The slowest a request body may arrive, in bytes per second of the server's waiting for
        /// it, once ``bodyRateGrace`` of waiting is spent: a slower one (a slowloris trickling
        /// its body) is cut. 0 turns the check off; a stall longer than ``headerTimeout`` is cut either way.
        public var minimumBodyRate: Int
        /// How long the server waits for a body's bytes before ``minimumBodyRate`` applies.
        public var bodyRateGrace: Duration
        /// A keep-alive connection waiting this long for its next request gives up its task (and
        /// the task's memory); the next bytes start a new one. A connection whose last answer came
        /// from ``HTTPResponder/respondSynchronously(to:)`` gives it up at once, and its next
        /// requests are answered on the loop thread as they arrive, with no task until one needs
        /// an async call. nil keeps every connection's task.
        public var parkIdleAfter: Duration?
        /// Where the server logs: handler errors, listeners starting and stopping.
        public var logger: Logger
        /// Called with every error a handler throws (after the server has answered 500); the
        /// default logs it at `error` level with the method, path and peer.
        public var onHandlerError: @Sendable (_ error: any Error, _ request: HTTPServerRequest) -> Void
        /// The largest number of connections open at once per engine thread; a connection over
        /// it is closed as soon as it is accepted.
        public var maxConnectionsPerThread: Int {
            get { engine.maxConnectionsPerThread }
            set { engine.maxConnectionsPerThread = newValue }
        }

        /// The defaults: 16 MiB bodies, 64 KiB heads, 100 fields, 10 s header and 60 s idle timeouts,
        /// bodies at 240 bytes/s at least after 5 s, idle connections parked after 100 ms.
        public init(engine: TCPServer.Configuration = TCPServer.Configuration()) {
            self.engine = engine
            maxBodySize = 16 << 20
            maxHeadSize = 64 << 10
            maxHeaderFields = 100
            headerTimeout = .seconds(10)
            idleTimeout = .seconds(60)
            minimumBodyRate = 240
            bodyRateGrace = .seconds(5)
            parkIdleAfter = .milliseconds(100)
            let logger = Logger(label: "scheduler-core.http")
            self.logger = logger
            onHandlerError = { error, request in
                logger.error(
                    "handler failed: \(error)",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.path ?? "")",
                        "peer": "\(request.remoteAddress.map { "\($0)" } ?? "-")",
                    ])
            }
        }
    }
}
