import HTTPTypes
import SchedulerEngine

/// A request head as the connection driver needs it.
struct InboundHead {
    /// The head, its `HTTPRequest` built when a handler asks for it.
    var request: LazyRequestHead
    var method: HTTPRequest.Method
    var version: HTTPVersion
    /// The declared Content-Length, nil for chunked or no body.
    var contentLength: Int?
    /// Whether a body follows (Content-Length > 0 or chunked).
    var hasBody: Bool
    /// Whether the client may keep the connection open after this request.
    var keepAlive: Bool
    /// `Expect: 100-continue`.
    var expectsContinue: Bool
}

/// One part of a request body.
enum BodyPart {
    case bytes([UInt8])
    case end(HTTPFields?)
}

/// Why reading a request failed, as the driver answers it.
enum InboundFailure: Error {
    /// Malformed or over a limit: answer with `status`, then close.
    case reject(status: HTTPResponse.Status, reason: String)
    /// The peer closed or the connection failed: nothing to answer.
    case closed
    /// The connection was parked while waiting for a request's first byte: its task may end.
    case parked
}

/// Reads requests off one connection: receives chunks, feeds the parser, keeps what it has
/// not consumed yet (the start of the next pipelined request, say).
final class InboundReader {
    // `@exclusivity(unchecked)` state: only the connection's driving task touches it, one
    // access at a time (see ServerConnection).
    let connection: TCPConnection
    @exclusivity(unchecked) private var parser: RequestStreamParser
    /// Received bytes not consumed yet: `inbox[start...]`.
    @exclusivity(unchecked) private var inbox: [UInt8] = []
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var atEOF = false
    /// Body bytes of the current request handed out so far.
    @exclusivity(unchecked) private var bodyBytes = 0
    private let maxBodySize: Int
    /// Set when the current request's body has been read to its end (or it had none).
    @exclusivity(unchecked) private(set) var bodyComplete = true
    /// The `100 Continue` owed before the first body read.
    @exclusivity(unchecked) var owesContinue = false
    /// Called when the first byte of a request arrives (to switch idle to header timeout).
    var onRequestStarted: () -> Void = {}
    /// The driver, whose pending answers go out before the reader waits for bytes (or sends
    /// `100 Continue`). A direct call, not a closure: an async closure call costs two executor
    /// checks. (Unowned: the driver owns the reader.)
    unowned(unsafe) var driver: ServerConnection?
    /// Called around waiting for body bytes, with how long the wait may last (nil: it ended):
    /// a body must keep arriving, so a client that trickles one cannot hold a connection.
    var bodyWait: (_ limit: Duration?) -> Void = { _ in }
    /// What bounds a wait for body bytes (see `allowedBodyWait()`).
    private let bodyPace: BodyPace
    /// Nanoseconds spent waiting for the current body's bytes.
    @exclusivity(unchecked) private var bodyWaited: Int64 = 0
    /// Whether the current head's first byte has arrived (the header timeout then runs).
    @exclusivity(unchecked) private var headAnnounced = false

    init(connection: TCPConnection, limits: HTTPParserLimits, maxBodySize: Int, bodyPace: BodyPace) {
        self.connection = connection
        self.parser = RequestStreamParser(limits: limits)
        self.maxBodySize = maxBodySize
        self.bodyPace = bodyPace
    }

    /// Whether bytes of a next request are already buffered.
    var hasBufferedBytes: Bool { start < inbox.count }

    /// Hands over the bytes received but not parsed (what follows a 101 response's request).
    func takeBuffered() -> [UInt8] {
        let rest = Array(inbox[start...])
        inbox.removeAll()
        start = 0
        return rest
    }

    /// The next request head when its bytes are all here already (pipelined requests), else
    /// nil with the bytes kept; no wait, no async call. ``nextHead()`` goes on from there.
    func headIfBuffered() throws(InboundFailure) -> InboundHead? {
        guard start < inbox.count else { return nil }
        bodyBytes = 0
        bodyWaited = 0
        if !headAnnounced {
            headAnnounced = true
            onRequestStarted()
        }
        return try headFromBuffer()
    }

    /// The next request head; nil when the peer closed cleanly between requests.
    func nextHead() async throws(InboundFailure) -> InboundHead? {
        bodyBytes = 0
        bodyWaited = 0
        while true {
            if start < inbox.count && !headAnnounced {
                headAnnounced = true
                onRequestStarted()
            }
            if let head = try headFromBuffer() { return head }
            // Waiting for a request's first byte: the wait may be parked.
            guard try await receive(parkable: !headAnnounced) else {
                if start < inbox.count || headAnnounced {
                    throw .reject(status: .badRequest, reason: "connection closed inside a request head")
                }
                return nil
            }
        }
    }

    /// Steps the parser until a head, or until more bytes are needed (nil); an `.end` here is
    /// the end of the previous message (one without a body, or a body already read to its end).
    private func headFromBuffer() throws(InboundFailure) -> InboundHead? {
        while true {
            switch try parseStep() {
            case .head(let head):
                bodyComplete = !head.hasBody
                owesContinue = head.expectsContinue
                headAnnounced = false
                return head
            case .needMore:
                return nil
            case .end, .body:
                continue
            }
        }
    }

    /// The next part of the current body.
    func nextBodyPart() async throws -> BodyPart {
        if bodyComplete { return .end(nil) }
        if owesContinue {
            owesContinue = false
            await driver?.flush()
            try await connection.send(ResponseHead.continueHead)
        }
        while true {
            // Parsed even with no bytes left: a body's end may need none.
            do {
                let step: ParsedStep
                do throws(InboundFailure) { step = try parseStep() } catch {
                    throw HTTPServerError.malformedBody("\(error)")
                }
                switch step {
                case .body(let bytes):
                    bodyBytes += bytes.count
                    if bodyBytes > maxBodySize { throw HTTPServerError.bodyTooLarge(limit: maxBodySize) }
                    return .bytes(bytes)
                case .end(let trailers):
                    bodyComplete = true
                    return .end(trailers)
                case .needMore, .head:
                    break
                }
            }
            let more: Bool
            let waitStarted = ConnectionDeadlines.now()
            bodyWait(bodyPace.allowedWait(bytes: bodyBytes, waited: bodyWaited))
            defer {
                bodyWaited += ConnectionDeadlines.now() - waitStarted
                bodyWait(nil)
            }
            do throws(InboundFailure) { more = try await receive() } catch { throw HTTPServerError.connectionClosed }
            if !more { throw HTTPServerError.connectionClosed }
        }
    }

    /// Reads and drops what is left of the current body, up to `limit` bytes; false if more
    /// was left (the connection must then close).
    func skipBody(limit: Int) async -> Bool {
        var skipped = 0
        while !bodyComplete {
            guard let part = try? await nextBodyPart() else { return false }
            if case .bytes(let bytes) = part {
                skipped += bytes.count
                if skipped > limit { return false }
            }
        }
        return true
    }

    private func parseStep() throws(InboundFailure) -> ParsedStep {
        let result = inbox.withUnsafeBytes { raw in
            Result { () throws(HTTPParseError) in try parser.next(UnsafeRawBufferPointer(rebasing: raw[start...])) }
        }
        let step: ParsedStep
        let consumed: Int
        switch result {
        case .success(let found): (step, consumed) = found
        case .failure(let error):
            throw .reject(status: HTTPResponse.Status(code: error.status), reason: "\(error)")
        }
        start += consumed
        return step
    }

    /// Gives back the inbox's memory while the connection is parked (nothing is buffered then).
    func releaseIdleMemory() {
        parser.releaseSpareHead()
        if start == inbox.count {
            inbox = []
            start = 0
        }
    }

    /// Takes a chunk received already into the inbox, without waiting; false when none is held.
    func receiveNow() -> Bool {
        if atEOF { return false }
        guard let buffer = connection.recvBufferNow() else { return false }
        appendCompacting(buffer, to: &inbox, start: &start)
        return true
    }

    /// Receives one more chunk into the inbox; false at end of stream.
    private func receive(parkable: Bool = false) async throws(InboundFailure) -> Bool {
        if atEOF { return false }
        await driver?.flush()
        let buffer: TCPBuffer?
        do { buffer = try await connection.recvBuffer(parkable: parkable) } catch is ConnectionParked {
            throw .parked
        } catch { throw .closed }
        guard let buffer else {
            atEOF = true
            return false
        }
        appendCompacting(buffer, to: &inbox, start: &start)
        return true
    }
}
