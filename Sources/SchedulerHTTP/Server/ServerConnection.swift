import HTTPTypes
import SchedulerEngine
import SchedulerPool

/// Drives one connection: reads requests in order, calls the responder inline (no task per
/// request), writes each response before reading the next request's body.
final class ServerConnection {
    private let connection: TCPConnection
    private let responder: any HTTPResponder
    private let configuration: HTTPServer.Configuration
    private let deadline: ConnectionDeadlines.Slot
    private let registry: ConnectionDeadlines
    private let localAddress: SocketAddress
    private let reader: InboundReader
    private var date = HTTPDateCache()
    /// Responses written but not sent yet: pipelined requests' answers go out in one send,
    /// when the connection next waits for bytes (or this passes `flushThreshold`).
    private var pending: [UInt8] = []
    private var sendFailed = false
    private static let flushThreshold = 64 << 10

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
            maxBodySize: configuration.maxBodySize)
        let headerTimeout = configuration.headerTimeout
        reader.onRequestStarted = { [deadline] in deadline.arm(headerTimeout) }
        reader.beforeWaiting = { [unowned self] in await self.flush() }
        reader.bodyWait = { [deadline] waiting in
            if waiting { deadline.arm(headerTimeout) } else { deadline.disarm() }
        }
    }

    func run() async {
        deadline.arm(configuration.headerTimeout)
        while await serveOne() {
            if registry.isDraining && !reader.hasBufferedBytes { break }
            deadline.arm(configuration.idleTimeout)
        }
        deadline.disarm()
        await flush()
        await connection.close()
    }

    /// Sends what is pending; false once a send has failed.
    @discardableResult
    private func flush() async -> Bool {
        guard !pending.isEmpty, !sendFailed else { return !sendFailed }
        do { try await connection.send(pending) } catch { sendFailed = true }
        pending.removeAll(keepingCapacity: true)
        return !sendFailed
    }

    /// Answers one request; false when the connection must close.
    private func serveOne() async -> Bool {
        let head: InboundHead
        do throws(InboundFailure) {
            guard let next = try await reader.nextHead() else { return false }
            head = next
        } catch {
            if case .reject(let status, let reason) = error {
                await sendError(status, reason, version: .http1_1, method: .get)
            }
            return false
        }
        deadline.disarm()
        if let length = head.contentLength, length > configuration.maxBodySize {
            await sendError(
                .contentTooLarge, "request body of \(length) bytes over the limit of \(configuration.maxBodySize)",
                version: head.version, method: head.request.method)
            return false
        }
        let request = HTTPServerRequest(
            head: head.request, body: head.hasBody ? HTTPRequestBody(source: reader) : HTTPRequestBody(bytes: []),
            localAddress: localAddress, remoteAddress: connection.peerAddress)
        var keepAlive = head.keepAlive && !registry.isDraining
        let response: HTTPServerResponse
        do {
            response = try await responder.respond(to: request)
        } catch let error as HTTPServerError {
            configuration.onHandlerError(error, request)
            switch error {
            case .bodyTooLarge: await sendError(.contentTooLarge, "\(error)", version: head.version, method: head.request.method)
            case .malformedBody: await sendError(.badRequest, "\(error)", version: head.version, method: head.request.method)
            case .connectionClosed: break
            }
            return false
        } catch {
            configuration.onHandlerError(error, request)
            keepAlive = keepAlive && reader.bodyComplete
            await send(.status(.internalServerError), version: head.version, method: head.request.method, keepAlive: keepAlive)
            return keepAlive
        }
        if response.head.headerFields[.connection]?.lowercased() == "close" || registry.isDraining {
            keepAlive = false
        }
        guard await send(response, version: head.version, method: head.request.method, keepAlive: keepAlive) else {
            return false
        }
        if let takeover = response.takeover, response.head.status.code == 101 {
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
            switch response.body.storage {
            case .bytes(let bytes):
                ResponseHead.encode(
                    response.head, framing: .length(bytes.count), keepAlive: keepAlive, version: version,
                    date: date.current(), into: &pending)
                if !isHead && !Self.forbidsBody(response.head.status) { pending.append(contentsOf: bytes) }
                if pending.count >= Self.flushThreshold || !keepAlive { return await flush() }
                return !sendFailed
            case .stream(let length, let produce):
                if let length {
                    try await stream(response.head, framing: .length(length), isHead: isHead, version: version,
                                     keepAlive: keepAlive, produce: produce)
                } else if version.isHTTP10 {
                    // No chunked in HTTP/1.0: gather the body, then send it with its length.
                    let gathered = HTTPBodyWriter(gathering: ())
                    try await produce(gathered)
                    var complete = response
                    complete.body = .bytes(gathered.gatheredBytes)
                    return await send(complete, version: version, method: method, keepAlive: keepAlive)
                } else {
                    try await stream(response.head, framing: .chunked, isHead: isHead, version: version,
                                     keepAlive: keepAlive, produce: produce)
                }
            }
            return true
        } catch {
            return false
        }
    }

    private func stream(
        _ head: HTTPResponse, framing: ResponseFraming, isHead: Bool, version: HTTPVersion, keepAlive: Bool,
        produce: @Sendable (HTTPBodyWriter) async throws -> Void
    ) async throws {
        if reader.owesContinue && !isHead {
            // The producer may read the body (an echo, say): the client's go-ahead comes first.
            reader.owesContinue = false
            pending.append(contentsOf: ResponseHead.continueHead)
        }
        ResponseHead.encode(
            head, framing: framing, keepAlive: keepAlive, version: version, date: date.current(), into: &pending)
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
        response.head.headerFields[.connection] = "close"
        await send(response, version: version, method: method, keepAlive: false)
    }

    static func forbidsBody(_ status: HTTPResponse.Status) -> Bool {
        status.code == 204 || status.code == 304 || status.kind == .informational
    }
}
