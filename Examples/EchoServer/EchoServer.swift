import ArgumentParser
import Dispatch
import Glibc
import SchedulerCore

/// `echo-server`: TCP echo on the engine's async API until SIGINT or SIGTERM.
@main
struct EchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Echoes every TCP connection on the scheduler-core engine until SIGINT or SIGTERM.")

    @Option(help: "The IP address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The TCP port to listen on (0 picks a free one).")
    var port: UInt16

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(
        help:
            "I/O backend: io_uring or posix (default: SCHEDULER_CORE_BACKEND, then io_uring where available)."
    )
    var backend: String?

    @Option(
        help:
            "Echo API: async (the default: serve + recvBuffer/send, one task per connection) or handler (serve(handlers:), callbacks on the loop thread)."
    )
    var api = "async"

    func run() async throws {
        var configuration = TCPServer.Configuration(threads: threads)
        if let backend {
            guard let chosen = IOBackend(rawValue: backend) else {
                throw ValidationError("--backend must be io_uring or posix, not \(backend)")
            }
            configuration.backend = chosen
        }
        guard api == "async" || api == "handler" else {
            throw ValidationError("--api must be async or handler, not \(api)")
        }
        let server = try TCPServer(host: host, port: port, configuration: configuration)
        print(
            "echo-server: listening on \(server.address) with \(configuration.threads) thread(s), \(server.features)"
        )
        fflush(nil)

        // Signals arrive on a dispatch source; the server shuts down gracefully.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { server.beginShutdown() }
            source.resume()
            return source
        }
        // Each chunk is sent back from the buffer it was received into, without a copy.
        if api == "handler" {
            await server.serve(handlers: { EchoHandler(connection: $0) })
        } else {
            await server.serve { connection in
                while let buffer = try await connection.recvBuffer() {
                    try await connection.send(buffer)
                }
            }
        }
        for source in sources { source.cancel() }
        print("echo-server: stopped")
    }
}

/// The echo as a callback handler: each chunk is queued back as it arrives, on the loop thread.
final class EchoHandler: TCPConnectionHandler {
    let connection: TCPConnection

    init(connection: TCPConnection) { self.connection = connection }

    func received(_ buffer: consuming TCPBuffer) {
        do { try connection.sendNow(buffer) } catch { connection.closeNow() }
    }
}
