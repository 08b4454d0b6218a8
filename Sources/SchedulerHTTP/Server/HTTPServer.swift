public import SchedulerEngine
public import SchedulerPool

/// An HTTP/1.1 server on the engine's event loops: keep-alive, pipelining, chunked bodies both
/// ways with backpressure, `Expect: 100-continue`, and a strict parser that answers malformed
/// requests with 400 and closes.
///
/// ```swift
/// let server = try HTTPServer(host: "127.0.0.1", port: 8080) { request in
///     .text("Hello, World!")
/// }
/// await server.run()  // until shutdown() or the task is cancelled
/// ```
public final class HTTPServer: Sendable {
    /// The address the server listens on (with the port the kernel chose if 0 was asked).
    public var address: SocketAddress { tcp.address }
    /// The TCP server underneath.
    public let tcp: TCPServer
    private let responder: any HTTPResponder
    private let configuration: Configuration
    private let registry = ConnectionDeadlines(tick: .milliseconds(100))

    /// Listens on `address` and answers with `responder`.
    public init(
        address: SocketAddress, configuration: Configuration = Configuration(), responder: some HTTPResponder
    ) throws(EngineError) {
        tcp = try TCPServer(address: address, configuration: configuration.engine)
        self.responder = responder
        self.configuration = configuration
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
            throw EngineError(operation: "parse address", target: host, reason: "\(error)")
        }
        try self.init(address: address, configuration: configuration, responder: HTTPClosureResponder(handler))
    }

    /// Listens on a pool binding's address (a tenant's own IP) and answers with `responder`.
    public convenience init(
        binding: IPBinding, port: UInt16, configuration: Configuration = Configuration(),
        responder: some HTTPResponder
    ) throws(EngineError) {
        guard binding.isActive else {
            throw EngineError(
                operation: "bind", target: "\(binding.ip):\(port)",
                reason: "the binding of \(binding.ip) to \(binding.subinstance)/\(binding.resource) was released")
        }
        try self.init(
            address: SocketAddress(ip: binding.ip, port: port), configuration: configuration, responder: responder)
    }

    /// Serves connections until ``shutdown()`` or cancellation of the calling task; returns when
    /// the requests in flight have been answered and every connection has closed.
    public func run() async {
        let deadlines = registry
        let sweeper = Task { await deadlines.sweep() }
        let responder = self.responder
        let configuration = self.configuration
        let local = address
        await tcp.serve { connection in
            let slot = deadlines.register(connection)
            defer { deadlines.remove(slot) }
            let driver = ServerConnection(
                connection: connection, responder: responder, configuration: configuration,
                deadline: slot, registry: deadlines, localAddress: local)
            await driver.run()
        }
        sweeper.cancel()
        await sweeper.value
    }

    /// Closes idle connections, lets the requests in flight finish (for at most the engine's
    /// `shutdownGracePeriod`), then stops the server and waits for it.
    public func shutdown() async {
        await registry.drain(grace: configuration.engine.shutdownGracePeriod)
        await tcp.shutdown()
    }

    /// Starts ``shutdown()`` without waiting for it.
    public func beginShutdown() {
        Task { await self.shutdown() }
    }
}
