import ArgumentParser
import Logging
import ServiceLifecycle
import Glibc
import SchedulerCore

/// `http-server`: the demo routes of the HTTP component until SIGINT or SIGTERM.
@main
struct HTTPServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-server",
        abstract: "Serves the scheduler-core HTTP demo routes until SIGINT or SIGTERM.")

    @Option(help: "The IP address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The TCP port to listen on (0 picks a free one).")
    var port: UInt16 = 8080

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "I/O backend: io_uring or posix (default: io_uring where available).")
    var backend: String?

    @Option(name: .customLong("max-body"), help: "The largest request body, in bytes.")
    var maxBody = 16 << 20

    @Option(name: .customLong("header-timeout"), help: "Seconds to wait for a complete request head.")
    var headerTimeout = 10.0

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may stay idle.")
    var idleTimeout = 60.0

    @Option(
        name: .customLong("log-buffer"),
        help: "Bytes of request log lines gathered before one write (written at least every 100 ms and at exit; 0: each line at once).")
    var logBuffer = 64 << 10

    func run() async throws {
        var engine = TCPServer.Configuration(threads: threads)
        if let backend {
            guard let chosen = IOBackend(rawValue: backend) else {
                throw ValidationError("--backend must be io_uring or posix, not \(backend)")
            }
            engine.backend = chosen
        }
        guard maxBody >= 0, logBuffer >= 0, headerTimeout > 0, idleTimeout > 0 else {
            throw ValidationError("--max-body and --log-buffer must be >= 0 and the timeouts > 0")
        }
        var configuration = HTTPServer.Configuration(engine: engine)
        configuration.maxBodySize = maxBody
        configuration.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        let address = try SocketAddress(host: host, port: port)
        // One log line per request on standard error, gathered in a buffer of --log-buffer bytes
        // (as nginx's `access_log ... buffer=`: one write(2) for many lines instead of one each),
        // flushed at least every 100 ms and at exit; request lines hold every value in their
        // message. The server's own messages are written at once and also print their metadata.
        let requestLines = "http-server.requests"
        let bufferSize = logBuffer
        LoggingSystem.bootstrap { label in
            label == requestLines
                ? LineLogHandler(label: label, bufferSize: bufferSize)
                : LineLogHandler(label: label, includeMetadata: true)
        }
        configuration.logger = Logger(label: "http-server")
        let server = try HTTPServer(
            address: address, configuration: configuration,
            responder: try demoRouter(logger: Logger(label: requestLines)))
        print("http-server: listening on \(server.address), \(server.features)")
        fflush(nil)

        // A ServiceGroup runs the server and turns SIGINT and SIGTERM into a graceful shutdown.
        let group = ServiceGroup(
            configuration: .init(
                services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: configuration.logger))
        try await group.run()
        print("http-server: stopped")
    }
}
