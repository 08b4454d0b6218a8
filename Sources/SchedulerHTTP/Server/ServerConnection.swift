import HTTPTypes
import Synchronization
import SchedulerEngine
import SchedulerPool

/// Drives one connection: reads requests in order, calls the responder inline (no task per
/// request), writes each response before reading the next request's body.
final class ServerConnection {
    // The mutable state below is `@exclusivity(unchecked)`: one task at a time drives a
    // connection (the park handoff, `parkArrivals`, orders them) and no access to it overlaps
    // another, so the dynamic checks per request (about 1 % of a request's CPU) are skipped.
    private let connection: TCPConnection
    private let responder: any HTTPResponder
    private let configuration: HTTPServer.Configuration
    private let deadline: ConnectionDeadlines.Slot
    private let registry: ConnectionDeadlines
    private let localAddress: SocketAddress
    private let reader: InboundReader
    @exclusivity(unchecked) private var date = HTTPDateCache()
    /// Responses written but not sent yet: pipelined requests' answers go out in one send,
    /// when the connection next waits for bytes (or this passes `flushThreshold`).
    @exclusivity(unchecked) private var pending: [UInt8] = []
    @exclusivity(unchecked) private var sendFailed = false
    /// Set when the wait for the next request was parked: the task ends, the connection stays.
    @exclusivity(unchecked) private var parked = false
    /// The parked task's end and the callback for the next bytes, counted: they may come in
    /// either order, and the second starts the task that serves on (so one task at a time
    /// touches this driver).
    private let parkArrivals = Atomic<Int>(0)
    private static let flushThreshold = 64 << 10
    /// The header and idle timeouts in nanoseconds (armed per request: no `Duration` arithmetic).
    private let headerNanoseconds: Int64
    private let idleNanoseconds: Int64

    init(
        connection: TCPConnection, responder: any HTTPResponder, configuration: HTTPServer.Configuration,
        deadline: ConnectionDeadlines.Slot, registry: ConnectionDeadlines, localAddress: SocketAddress
    ) {
        self.connection = connection
        self.responder = responder
        self.configuration = configuration
        self.deadline = deadline
        self.registry = registry
        self.localAddress = localAddress
        reader = InboundReader(
            connection: connection,
            limits: HTTPParserLimits(
                maxHeadBytes: configuration.maxHeadSize, maxFieldCount: configuration.maxHeaderFields),
            maxBodySize: configuration.maxBodySize,
            bodyPace: BodyPace(
                stall: configuration.headerTimeout, bytesPerSecond: configuration.minimumBodyRate,
                grace: configuration.bodyRateGrace))
        let headerNanoseconds = configuration.headerTimeout.nanoseconds
        self.headerNanoseconds = headerNanoseconds
        idleNanoseconds = configuration.idleTimeout.nanoseconds
        reader.onRequestStarted = { [deadline] in
            deadline.idleSince.store(0, ordering: .relaxed)
            deadline.arm(nanoseconds: headerNanoseconds)
        }
        reader.driver = self
        reader.bodyWait = { [deadline] limit in
            if let limit { deadline.arm(limit) } else { deadline.disarm() }
        }
        if configuration.parkIdleAfter != nil {
            let weakSelf = WeakDriver(driver: self)
            deadline.park.withLock { $0 = { weakSelf.driver?.park() ?? false } }
        }
    }

    /// Serves the connection until it closes, or until it is parked while idle: a task started
    /// when its next bytes arrive then goes on.
    func serve() async {
        if await run() { return }
        deadline.park.withLock { $0 = nil }
        registry.remove(deadline)
    }

    /// Serves requests; true when parked (the connection stays open), false once it is closed.
    private func run() async -> Bool {
        deadline.arm(nanoseconds: headerNanoseconds)
        while await serveOne() {
            if registry.isDraining && !reader.hasBufferedBytes { break }
            let now = ConnectionDeadlines.now()
            deadline.arm(nanoseconds: idleNanoseconds, now: now)
            deadline.idleSince.store(now, ordering: .relaxed)
        }
        if parked {
            parked = false
            reader.releaseIdleMemory()
            pending = []
            parkArrival()
            return true
        }
        deadline.disarm()
        await flush()
        await connection.close()
        return false
    }

    /// Parks the connection if its task waits for a request's first byte; the next bytes (or
    /// its end) start a task that serves on.
    private func park() -> Bool {
        let driver = DriverRef(driver: self)
        return connection.park { driver.driver.parkArrival() }
    }

    /// One of the two events a park waits for (see `parkArrivals`); the second starts a task.
    private func parkArrival() {
        guard parkArrivals.add(1, ordering: .acquiringAndReleasing).newValue == 2 else { return }
        parkArrivals.store(0, ordering: .relaxed)
        registry.unparked()
        let driver = DriverRef(driver: self)
        Task(executorPreference: connection.executor) { await driver.driver.serve() }
    }

    /// Sends what is pending; false once a send has failed.
    @discardableResult
    func flush() async -> Bool {
        guard !pending.isEmpty, !sendFailed else { return !sendFailed }
        // Queued without an async call; the wait happens only when the queue is full.
        do {
            if try connection.sendNow(pending) { try await connection.waitForSendRoom() }
        } catch { sendFailed = true }
        pending.removeAll(keepingCapacity: true)
        return !sendFailed
    }

    /// Answers one request; false when the connection must close.
    private func serveOne() async -> Bool {
        let head: InboundHead
        do throws(InboundFailure) {
            // A pipelined request already here is taken without an async call.
            if let buffered = try reader.headIfBuffered() {
                head = buffered
            } else {
                guard let next = try await reader.nextHead() else { return false }
                head = next
            }
        } catch {
            switch error {
            case .reject(let status, let reason): await sendError(status, reason, version: .http1_1, method: .get)
            case .parked: parked = true
            case .closed: break
            }
            return false
        }
        deadline.disarm()
        if let length = head.contentLength, length > configuration.maxBodySize {
            await sendError(
                .contentTooLarge, "request body of \(length) bytes over the limit of \(configuration.maxBodySize)",
                version: head.version, method: head.method)
            return false
        }
        let request = HTTPServerRequest(
            arrived: head.request, body: head.hasBody ? HTTPRequestBody(source: reader) : .empty,
            localAddress: localAddress, remoteAddress: connection.peerAddress)
        var keepAlive = head.keepAlive && !registry.isDraining
        let response: HTTPServerResponse
        do {
            if let answer = try responder.respondSynchronously(to: request) {
                response = answer
            } else {
                response = try await responder.respond(to: request)
            }
        } catch let error as HTTPServerError {
            configuration.onHandlerError(error, request)
            switch error {
            case .bodyTooLarge: await sendError(.contentTooLarge, "\(error)", version: head.version, method: head.method)
            case .malformedBody: await sendError(.badRequest, "\(error)", version: head.version, method: head.method)
            case .connectionClosed: break
            }
            return false
        } catch {
            configuration.onHandlerError(error, request)
            keepAlive = keepAlive && reader.bodyComplete
            await send(.status(.internalServerError), version: head.version, method: head.method, keepAlive: keepAlive)
            return keepAlive
        }
        if response.headerFields.hasSingle(.connection, equalTo: "close") || registry.isDraining {
            keepAlive = false
        }
        // Bytes and text are queued without an async call; a flush or a stream needs one.
        let sent: Bool
        switch queue(response, version: head.version, method: head.method, keepAlive: keepAlive) {
        case .queued: sent = !sendFailed
        case .mustFlush: sent = await flush()
        case .stream: sent = await send(response, version: head.version, method: head.method, keepAlive: keepAlive)
        }
        guard sent else { return false }
        if let takeover = response.takeover, response.status.code == 101 {
            // The connection now speaks another protocol (a WebSocket): its code owns it until
            // it returns, and the connection then closes.
            guard await flush() else { return false }
            let registry = self.registry
            let slot = deadline
            await takeover(
                TakenConnection(
                    connection: connection, buffered: reader.takeBuffered(),
                    whenDraining: { registry.whenDraining(slot, $0) }))
            return false
        }
        if keepAlive && !reader.bodyComplete {
            // The handler left part of the body unread: skip a little of it, else close. A client
            // that still waits for `100 Continue` gets none: it was answered without the body.
            if reader.owesContinue { return false }
            return await reader.skipBody(limit: 256 << 10)
        }
        return keepAlive
    }

    /// Writes `response`; false when writing failed.
    @discardableResult
    private func send(
        _ response: HTTPServerResponse, version: HTTPVersion, method: HTTPRequest.Method, keepAlive: Bool
    ) async -> Bool {
        let isHead = method == .head
        do {
            switch queue(response, version: version, method: method, keepAlive: keepAlive) {
            case .queued: return !sendFailed
            case .mustFlush: return await flush()
            case .stream: break
            }
            switch response.body.storage {
            case .bytes, .text:
                return !sendFailed  // queued above
            case .stream(let length, let produce):
                if let length {
                    try await stream(response, framing: .length(length), isHead: isHead, version: version,
                                     keepAlive: keepAlive, produce: produce)
                } else if version.isHTTP10 {
                    // No chunked in HTTP/1.0: gather the body, then send it with its length.
                    let gathered = HTTPBodyWriter(gathering: ())
                    try await produce(gathered)
                    var complete = response
                    complete.body = .bytes(gathered.gatheredBytes)
                    return await send(complete, version: version, method: method, keepAlive: keepAlive)
                } else {
                    try await stream(response, framing: .chunked, isHead: isHead, version: version,
                                     keepAlive: keepAlive, produce: produce)
                }
            }
            return true
        } catch {
            return false
        }
    }

    /// What `queue` did with a response.
    private enum Queued {
        /// Written to `pending`.
        case queued
        /// Written to `pending`, which must be sent now (it is large, or the connection closes).
        case mustFlush
        /// Not written: its body is a stream (see `send`).
        case stream
    }

    /// Writes a response whose body is known (bytes or text) to `pending`, synchronously.
    private func queue(
        _ response: HTTPServerResponse, version: HTTPVersion, method: HTTPRequest.Method, keepAlive: Bool
    ) -> Queued {
        let withBody = method != .head && !Self.forbidsBody(code: response.statusCode)
        switch response.body.storage {
        case .bytes(let bytes):
            ResponseHead.encode(
                status: response.status, fields: response.headerFields, framing: .length(bytes.count),
                keepAlive: keepAlive, version: version, date: date.current(), into: &pending)
            if withBody { pending.append(contentsOf: bytes) }
        case .text(let text):
            ResponseHead.encode(
                status: response.status, fields: response.headerFields, framing: .length(text.utf8.count),
                keepAlive: keepAlive, version: version, date: date.current(), into: &pending)
            if withBody { pending.append(contentsOf: text.utf8) }
        case .stream:
            return .stream
        }
        return pending.count >= Self.flushThreshold || !keepAlive ? .mustFlush : .queued
    }

    private func stream(
        _ response: HTTPServerResponse, framing: ResponseFraming, isHead: Bool, version: HTTPVersion, keepAlive: Bool,
        produce: @Sendable (HTTPBodyWriter) async throws -> Void
    ) async throws {
        if reader.owesContinue && !isHead {
            // The producer may read the body (an echo, say): the client's go-ahead comes first.
            reader.owesContinue = false
            pending.append(contentsOf: ResponseHead.continueHead)
        }
        ResponseHead.encode(
            status: response.status, fields: response.headerFields, framing: framing, keepAlive: keepAlive,
            version: version, date: date.current(), into: &pending)
        guard await flush() else { throw HTTPServerError.connectionClosed }
        if isHead { return }
        let writer = HTTPBodyWriter(connection: connection, framing: framing, discard: false)
        try await produce(writer)
        try await writer.finish()
    }

    private func sendError(
        _ status: HTTPResponse.Status, _ reason: String, version: HTTPVersion, method: HTTPRequest.Method
    ) async {
        var response = HTTPServerResponse.text(status.reasonPhrase + ": " + reason + "\n", status: status)
        response.headerFields[.connection] = "close"
        await send(response, version: version, method: method, keepAlive: false)
    }

    /// Whether a response with status `code` has no body (204, 304, 1xx).
    static func forbidsBody(code: Int) -> Bool {
        code == 204 || code == 304 || (100..<200).contains(code)
    }
}

/// A driver handed to the task that serves a parked connection on.
private struct DriverRef: @unchecked Sendable {
    // @unchecked: the park handoff (`parkArrivals`) lets one task at a time use the driver.
    let driver: ServerConnection
}

/// The driver as its deadline slot's park hook sees it (weak: the slot keeps nothing alive).
private final class WeakDriver: @unchecked Sendable {
    // @unchecked: the sweeper only calls `park()`, which touches the immutable connection.
    weak var driver: ServerConnection?
    init(driver: ServerConnection) { self.driver = driver }
}
