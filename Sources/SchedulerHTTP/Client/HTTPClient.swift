public import HTTPTypes
public import SchedulerEngine
import SchedulerPool

/// An HTTP/1.1 client on the engine's loops, with a keep-alive connection pool per scheme,
/// host, port and source address, so every request can leave from a tenant's pool address.
///
/// ```swift
/// let client = try HTTPClient()
/// let response = try await client.execute(try HTTPClientRequest(url: "http://127.0.0.1:8080/json"))
/// let text = try await response.body.string()
/// await client.shutdown()
/// ```
///
/// Requests and responses are swift-http-types heads; bodies stream both ways. Errors are
/// ``HTTPClientError``. Only `http://` is spoken (no TLS); hosts are IP literals or `localhost`.
public final class HTTPClient: Sendable {
    /// The settings the client was made with.
    public let configuration: Configuration
    let engine: TCPEngine
    let pool: ConnectionPool
    let timeouts: ClientTimeouts
    private let sweeper: Task<Void, Never>

    /// A client with its own engine loops (`configuration.engine`).
    public init(configuration: Configuration = Configuration()) throws(EngineError) {
        self.configuration = configuration
        engine = try TCPEngine(configuration: configuration.engine)
        let pool = ConnectionPool(
            limitPerKey: configuration.maxConnectionsPerKey, idleTimeout: configuration.idleTimeout)
        self.pool = pool
        // Read and total timeouts are swept every 10 ms (so they fire up to 10 ms late); idle
        // connections every half idle timeout, at most every second.
        let idlePeriod = max(min(configuration.idleTimeout / 2, .seconds(1)), .milliseconds(10))
        let timeouts = ClientTimeouts()
        self.timeouts = timeouts
        sweeper = Task {
            var nextIdleSweep = ContinuousClock.now + idlePeriod
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
                timeouts.sweep()
                if ContinuousClock.now >= nextIdleSweep {
                    pool.closeExpired()
                    nextIdleSweep = ContinuousClock.now + idlePeriod
                }
            }
        }
    }

    deinit {
        sweeper.cancel()
    }

    /// Sends `request` (following redirects when configured) and returns the response once its
    /// head is read; the body is read from the connection as it is iterated.
    ///
    /// `timeout` bounds the whole exchange, body included (default: the configured total).
    /// Cancelling the calling task ends the request and closes its connection.
    public func execute(_ request: HTTPClientRequest, timeout: Duration? = nil) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
        let total = timeout ?? configuration.totalTimeout
        let deadline = ClientDeadline(
            total: total.map { ContinuousClock.now + $0 }, read: configuration.readTimeout)
        var request = request
        var url = try request.url()
        var redirects = 0
        while true {
            let response: HTTPClientResponse
            do {
                response = try await exchange(request, url: url, deadline: deadline)
            } catch let error as HTTPClientError {
                throw error
            } catch is CancellationError {
                throw .cancelled
            } catch {
                throw .connectionReset("\(error)")
            }
            guard configuration.followRedirects,
                let (next, nextURL) = try RedirectPolicy.next(after: request, url: url, response: response.head)
            else { return response }
            guard redirects < configuration.maxRedirects else {
                response.body.close()
                throw .tooManyRedirects(redirects)
            }
            redirects += 1
            await response.body.drain(upTo: 64 * 1024)
            request = next
            url = nextURL
        }
    }

    /// Sends a GET for `url` and returns the response.
    public func get(_ url: String, headerFields: HTTPFields = [:]) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(try HTTPClientRequest(url: url, headerFields: headerFields))
    }

    /// Closes idle connections, fails waiting requests and stops the engine (connections in use are closed).
    public func shutdown() async {
        sweeper.cancel()
        _ = pool.close()
        await engine.shutdown()
    }

    /// Idle keep-alive connections to `url`'s origin from `source` (for tests and statistics).
    public func idleConnectionCount(to url: String, from source: HTTPClientSource? = nil) -> Int {
        guard let parsed = try? HTTPClientURL(url) else { return 0 }
        return pool.idleCount(key(parsed, source: source ?? configuration.source))
    }

    func key(_ url: HTTPClientURL, source: HTTPClientSource?) -> PoolKey {
        PoolKey(scheme: url.scheme, host: url.host, port: url.port, source: source?.address)
    }

    /// One request and its response head on a pooled connection; a dead reused connection is
    /// replaced once for an idempotent request with a body that can be sent again.
    private func exchange(_ request: HTTPClientRequest, url: HTTPClientURL, deadline: ClientDeadline)
        async throws -> HTTPClientResponse
    {
        let source = request.source ?? configuration.source
        try source?.check()
        let destination = try url.socketAddress()
        let key = key(url, source: source)
        var fresh = false
        while true {
            let connection = try await lease(key, destination: destination, source: source, deadline: deadline, fresh: fresh)
            do {
                return try await RequestExchange(client: self, connection: connection, deadline: deadline)
                    .run(request, url: url)
            } catch {
                let stale = connection.responsesRead > 0 && connection.bytesOfCurrentResponse == 0
                connection.discard()
                pool.release(connection)
                if !fresh, stale, case HTTPClientError.connectionReset = error, request.head.method.isIdempotent,
                    request.body.isReplayable
                {
                    fresh = true
                    continue
                }
                throw error
            }
        }
    }

    /// A pooled connection, or a new one in a free slot (the slot is given back if the connect fails).
    private func lease(
        _ key: PoolKey, destination: SocketAddress, source: HTTPClientSource?, deadline: ClientDeadline, fresh: Bool
    ) async throws -> ClientConnection {
        switch try await pool.acquire(key, fresh: fresh) {
        case .connection(let connection):
            return connection
        case .slot:
            do {
                let tcp = try await connect(destination, source: source, deadline: deadline)
                return ClientConnection(tcp: tcp, key: key, limits: configuration.parserLimits, timeouts: timeouts)
            } catch {
                pool.releaseSlot(key)
                throw error
            }
        }
    }

    func connect(_ destination: SocketAddress, source: HTTPClientSource?, deadline: ClientDeadline)
        async throws(HTTPClientError) -> TCPConnection
    {
        var limit = configuration.connectTimeout
        var kind = HTTPClientTimeout.connect
        if let total = deadline.total {
            let left = ContinuousClock.now.duration(to: total)
            if left < limit { (limit, kind) = (left, .total) }
        }
        guard limit > .zero else { throw .timedOut(kind) }
        do {
            switch source {
            case .binding(let binding):
                guard binding.isActive else { throw HTTPClientError.bindingReleased("\(binding.ip)") }
                return try await engine.connect(to: destination, from: binding, timeout: limit)
            case .address(let address):
                return try await engine.connect(to: destination, from: address, timeout: limit)
            case nil:
                return try await engine.connect(to: destination, timeout: limit)
            }
        } catch let error as HTTPClientError {
            throw error
        } catch let error as EngineError {
            switch error.errnoName {
            case "ECONNREFUSED": throw .connectionRefused(address: "\(destination)")
            case "ETIMEDOUT": throw .timedOut(kind)
            default:
                if error.reason.contains("released") { throw .bindingReleased(error.target) }
                throw .connectFailed(error)
            }
        } catch {
            throw .connectionReset("\(error)")
        }
    }
}

extension HTTPRequest.Method {
    /// GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC 9110 §9.2.2): safe to send twice.
    var isIdempotent: Bool {
        self == .get || self == .head || self == .options || self == .trace || self == .put || self == .delete
    }
}
