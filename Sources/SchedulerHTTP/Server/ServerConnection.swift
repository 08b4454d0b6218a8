import HTTPTypes
import Synchronization
import SchedulerEngine
@_spi(SchedulerInternals) import SchedulerPool

/// Drives one connection: reads requests in order, calls the responder inline (no task per
/// request; none at all between synchronous answers, see `serveInline`), writes each response
/// before reading the next request's body.
final class ServerConnection {
    // The mutable state below is `@exclusivity(unchecked)`: one task (or the loop thread, with no
    // task) at a time drives a connection (the handoff, `parkArrivals`, orders them) and no access to it overlaps
    // another, so the dynamic checks per request (about 1 % of a request's CPU) are skipped.
    let connection: TCPConnection
    let responder: any HTTPResponder
    let configuration: HTTPServer.Configuration
    let deadline: ConnectionDeadlines.Slot
    let registry: ConnectionDeadlines
    let localAddress: SocketAddress
    let reader: InboundReader
    @exclusivity(unchecked) private var date = HTTPDateCache()
    /// Responses written but not sent yet: pipelined requests' answers go out in one send,
    /// when the connection next waits for bytes (or this passes `flushThreshold`).
    @exclusivity(unchecked) var pending: [UInt8] = []
    @exclusivity(unchecked) var sendFailed = false
    /// Set when the wait for the next request was parked: the task ends, the connection stays.
    @exclusivity(unchecked) private var parked = false
    /// The parked task's end and the callback for the next bytes, counted: they may come in
    /// either order, and the second serves on (so one task, or the loop thread, at a time
    /// touches this driver).
    let parkArrivals = Atomic<Int>(0)
    /// Whether the next requests may be served on the loop thread, with no task, while the
    /// responder answers synchronously (as long as connections may give up their task at all:
    /// ``HTTPServer/Configuration/parkIdleAfter`` is set).
    let servesInline: Bool
    /// Whether the last request's response came from `respondSynchronously`.
    @exclusivity(unchecked) var answeredNow = false
    /// 0 while a task or the loop thread serves; 1 while waiting for bytes with no task after
    /// an inline answer; 2 once that wait (or a parked task's) counts in the registry as parked.
    let taskless = Atomic<Int>(0)
    /// The callback a taskless wait installs, made once (it holds the driver: cleared at the end).
    @exclusivity(unchecked) var readableCallback: (@Sendable () -> Void)?
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
        servesInline = configuration.parkIdleAfter != nil
        reader.onRequestStarted = { [deadline] in
            deadline.idleSince.store(0, ordering: .relaxed)
            deadline.arm(nanoseconds: headerNanoseconds)
        }
        reader.driver = self
        reader.bodyWait = { [deadline] limit in
            if let limit { deadline.arm(limit) } else { deadline.disarm() }
        }
        if configuration.parkIdleAfter != nil {
            // Strong (a weak reference would move the driver's reference count to a side table,
            // slowing every retain of it): `serve` clears the hook when the connection ends.
            let driver = DriverRef(driver: self)
            deadline.park.withLock { $0 = { driver.driver.park() } }
        }
    }

    /// Serves the connection from `resume` until it closes, or until it waits for bytes with
    /// no task (parked, or served on the loop thread): whatever those bytes start goes on.
    func serve(_ resume: Resume = .start) async {
        if await run(resume) { return }
        deadline.park.withLock { $0 = nil }
        registry.remove(deadline)
        readableCallback = nil
    }

    /// Serves requests; true when the connection waits with no task (it stays open), false once
    /// it is closed.
    private func run(_ resume: Resume) async -> Bool {
        var going = true
        switch resume {
        case .start: deadline.arm(nanoseconds: headerNanoseconds)
        case .serve: break
        case .finish(let rest): going = await finish(rest) && requestDone()
        case .sendRoom:
            do { try await connection.waitForSendRoom() } catch { sendFailed = true }
            going = !sendFailed
        case .close: going = false
        }
        while going {
            if answeredNow && servesInline && !reader.hasBufferedBytes {
                // The responder answers synchronously: the next requests are served on the loop
                // thread as their bytes arrive, with no task (see `serveInline`).
                guard await flush() else { break }
                if waitTaskless(arrivals: 0) {
                    parkArrival()
                    return true
                }
            }
            going = await serveOne() && requestDone()
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

    /// After a request answered on a kept connection: false when the server drains and no next
    /// request is here, else the idle timeout runs from now.
    func requestDone() -> Bool {
        if registry.isDraining && !reader.hasBufferedBytes { return false }
        let now = ConnectionDeadlines.now()
        deadline.arm(nanoseconds: idleNanoseconds, now: now)
        deadline.idleSince.store(now, ordering: .relaxed)
        return true
    }

    /// Queues what is pending without waiting; true when the send queue is now too full (a
    /// caller that can wait awaits room before queuing more).
    func flushNow() -> Bool {
        guard !pending.isEmpty, !sendFailed else { return false }
        var mustWait = false
        do { mustWait = try connection.sendNow(pending) } catch { sendFailed = true }
        pending.removeAll(keepingCapacity: true)
        return mustWait
    }

    /// Sends what is pending; false once a send has failed.
    @discardableResult
    func flush() async -> Bool {
        // Queued without an async call; the wait happens only when the queue is full.
        if flushNow() {
            do { try await connection.waitForSendRoom() } catch { sendFailed = true }
        }
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
        switch answerNow(head) {
        case .keepAlive: return true
        case .close: return false
        case .rest(let rest): return await finish(rest)
        }
    }

    /// Writes `response`; false when writing failed.
    @discardableResult
    func send(
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
    enum Queued {
        /// Written to `pending`.
        case queued
        /// Written to `pending`, which must be sent now (it is large, or the connection closes).
        case mustFlush
        /// Not written: its body is a stream (see `send`).
        case stream
    }

    /// Writes a response whose body is known (bytes or text) to `pending`, synchronously.
    func queue(
        _ response: HTTPServerResponse, version: HTTPVersion, method: HTTPRequest.Method, keepAlive: Bool
    ) -> Queued {
        let withBody = method != .head && !Self.forbidsBody(code: response.statusCode)
        switch response.body.storage {
        case .bytes(let bytes):
            response.encodeHead(
                framing: .length(bytes.count), keepAlive: keepAlive, version: version, date: date.current(),
                into: &pending)
            if withBody { pending.append(contentsOf: bytes) }
        case .text(let text):
            response.encodeHead(
                framing: .length(text.utf8.count), keepAlive: keepAlive, version: version, date: date.current(),
                into: &pending)
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
        response.encodeHead(
            framing: framing, keepAlive: keepAlive, version: version, date: date.current(), into: &pending)
        guard await flush() else { throw HTTPServerError.connectionClosed }
        if isHead { return }
        let writer = HTTPBodyWriter(connection: connection, framing: framing, discard: false)
        try await produce(writer)
        try await writer.finish()
    }

    func sendError(
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
struct DriverRef: @unchecked Sendable {
    // @unchecked: the park handoff (`parkArrivals`) lets one task at a time use the driver.
    let driver: ServerConnection
}
