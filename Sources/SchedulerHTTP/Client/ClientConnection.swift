import HTTPTypes
import SchedulerEngine

/// One HTTP/1.1 connection of the pool: the TCP connection, the bytes received but not yet
/// parsed, and the response parser. Used by one request at a time (the pool hands it over).
final class ClientConnection: @unchecked Sendable {
    let tcp: TCPConnection
    let key: PoolKey
    private var buffer: [UInt8] = []
    private var start = 0
    private var parser: HTTPResponseParser
    /// Responses completely read on this connection.
    private(set) var responsesRead = 0
    /// Bytes of the current response received so far (0: nothing came yet, a retry is safe).
    private(set) var bytesOfCurrentResponse = 0
    /// False once the connection must not carry another request.
    private(set) var reusable = true
    /// When it went back to the idle list.
    var idleSince = ContinuousClock.now
    private let timeouts: ClientTimeouts
    private let slot: ClientTimeouts.Slot

    init(tcp: TCPConnection, key: PoolKey, limits: HTTPParserLimits, timeouts: ClientTimeouts) {
        self.tcp = tcp
        self.key = key
        parser = HTTPResponseParser(limits: limits)
        self.timeouts = timeouts
        slot = timeouts.register(tcp)
    }

    deinit {
        timeouts.remove(slot)
    }

    /// Marks the connection as not to be reused and starts closing it.
    func discard() {
        reusable = false
        tcp.closeNow()
    }

    /// Starts a new exchange: the method decides whether the response has a body.
    func begin(method: HTTPRequest.Method) {
        parser.requestMethod = method
        bytesOfCurrentResponse = 0
    }

    /// Sends `bytes`, bounded by the deadline.
    func send(_ bytes: [UInt8], _ deadline: ClientDeadline) async throws {
        try await bounded(deadline, failure: { "send failed: \($0)" }) { try await $0.send(bytes) }
    }

    /// One parser event from the buffered bytes, receiving more as needed: a head (1xx included),
    /// body bytes, or the end of the message.
    func nextEvent(_ deadline: ClientDeadline) async throws -> ClientEvent {
        while true {
            let step: ClientEvent? = try buffer.withUnsafeBytes { raw throws(HTTPClientError) -> ClientEvent? in
                let pending = UnsafeRawBufferPointer(rebasing: raw[start...])
                let result: HTTPParserStep<HTTPResponse>
                do throws(HTTPParseError) { result = try parser.next(pending) } catch { throw .malformedResponse(error) }
                start += result.consumed
                switch result.event {
                case .head(let head): return .head(head)
                case .body(let bytes): return .body(Array(bytes))
                case .end(let trailers): return .end(trailers)
                case .needMore: return nil
                }
            }
            if let step {
                if case .end = step { finishResponse() }
                return step
            }
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            } else if start > 65536 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let incoming = try await receive(deadline)
            if incoming.isEmpty {
                reusable = false
                let complete: Bool
                do { complete = try parser.finish() } catch {
                    if bytesOfCurrentResponse == 0 {
                        throw HTTPClientError.connectionReset("the server closed the connection before answering")
                    }
                    throw HTTPClientError.connectionReset("the server closed the connection mid-response")
                }
                if complete {
                    finishResponse()
                    return .end(nil)
                }
                throw HTTPClientError.connectionReset("the server closed the connection before answering")
            }
            bytesOfCurrentResponse += incoming.count
            buffer.append(contentsOf: incoming)
        }
    }

    /// Waits for bytes, bounded by the deadline; empty means the server closed its side.
    private func receive(_ deadline: ClientDeadline) async throws -> [UInt8] {
        let nothingYet = bytesOfCurrentResponse == 0
        return try await bounded(deadline, failure: { nothingYet ? "before answering: \($0)" : "mid-response: \($0)" }) {
            try await $0.recv()
        }
    }

    /// Runs `operation` on the connection within the deadline's next wait: a timeout closes the
    /// connection (the sweeper does it) and throws `timedOut`, cancelling the calling task
    /// throws `cancelled`, an engine error throws `connectionReset` with `failure`'s text. Any
    /// failure leaves the connection unfit for another request.
    private func bounded<T>(
        _ deadline: ClientDeadline, failure: (EngineError) -> String,
        _ operation: (TCPConnection) async throws -> T
    ) async throws -> T {
        if Task.isCancelled {
            reusable = false
            throw HTTPClientError.cancelled
        }
        let (limit, kind) = deadline.nextWait()
        guard limit > .zero else {
            reusable = false
            throw HTTPClientError.timedOut(kind)
        }
        slot.arm(limit, kind)
        let result: T
        do {
            result = try await operation(tcp)
        } catch {
            reusable = false
            if let fired = slot.disarm() { throw HTTPClientError.timedOut(fired) }
            if error is CancellationError || Task.isCancelled { throw HTTPClientError.cancelled }
            if let error = error as? EngineError { throw HTTPClientError.connectionReset(failure(error)) }
            throw error
        }
        if let fired = slot.disarm() {
            reusable = false
            throw HTTPClientError.timedOut(fired)
        }
        return result
    }

    /// Whether the head just read lets the connection carry another request.
    func noteHead() {
        if !parser.keepAlive { reusable = false }
    }

    /// The body framing of the last head.
    var framing: HTTPBodyFraming { parser.framing }
    /// The version of the last head.
    var version: HTTPVersion { parser.version }

    private func finishResponse() {
        responsesRead += 1
        if !parser.keepAlive || parser.isUpgraded { reusable = false }
        // Bytes after a response nobody asked for: the connection is out of step.
        if start < buffer.count { reusable = false }
    }
}

/// What ``ClientConnection/nextEvent(_:)`` found.
enum ClientEvent {
    case head(HTTPResponse)
    case body([UInt8])
    case end(HTTPFields?)
}
