import CSchedulerHTTPScan
import HTTPTypes

/// Where one field line sits in the head: offsets from the head's first byte. The C scanner's
/// span, so that its bulk results append to the parser's list as they are.
@usableFromInline typealias FieldSpan = csched_http_field_span

extension FieldSpan {
    @usableFromInline init(nameStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int) {
        self.init(name_start: Int32(nameStart), name_end: Int32(nameEnd), value_start: Int32(valueStart), value_end: Int32(valueEnd))
    }
    @inlinable var nameStart: Int { Int(name_start) }
    @inlinable var nameEnd: Int { Int(name_end) }
    @inlinable var valueStart: Int { Int(value_start) }
    @inlinable var valueEnd: Int { Int(value_end) }
}

/// What the head's framing fields said, gathered line by line while scanning.
struct HeadFacts {
    var minorVersion = 1
    var statusCode = 0
    var hostCount = 0
    var hostField = -1
    var contentLength: Int? = nil
    var contentLengthLine = 0
    var transferEncodingLine = 0
    var transferEncodingValue = 0
    var codingCount = 0
    var transferEncoding = false
    var chunkedLast = false
    var otherCoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    var upgradeField = false
    var expectContinue = false
}

/// Where the start line's parts sit: offsets from the head's first byte.
struct StartLine {
    var methodStart = 0, methodEnd = 0
    var targetStart = 0, targetEnd = 0
    var versionStart = 0
    var reasonStart = 0, reasonEnd = 0
}

/// What one core step found.
enum CoreEvent {
    case head
    case body(Range<Int>)
    case end
    case needMore
}

/// The scanning and framing state machine shared by the request and response parsers.
///
/// Contract with the caller: each step's buffer begins at the first byte not consumed by the
/// steps before it, and bytes not consumed are given again, unchanged, with any new bytes after
/// them. Offsets kept between steps (`scanned`, the field spans) are relative to that first
/// byte, so a step never rescans what an earlier one already checked.
struct HTTPMessageCore {
    enum Phase {
        case head
        case contentLength(Int)
        case chunkLine
        case chunkData(Int)
        case chunkDataEnd
        case trailers
        case endPending
        case untilClose
        case upgraded
    }

    let limits: HTTPParserLimits
    let isRequest: Bool
    var phase: Phase = .head
    /// Bytes consumed by all earlier steps: error offsets are relative to the whole input.
    var streamOffset = 0
    /// Bytes of the pending head or line already checked, from the buffer's first byte.
    var scanned = 0
    /// The start of the line being scanned, from the buffer's first byte (head phase).
    var lineStart = 0
    var inStartLine = true
    /// How far the request line's scan has come: it resumes there, byte-exact.
    var requestLinePart = RequestLinePart.method
    /// Whether an HTTP/1.1 request must carry Host (RFC 9112 §3.2); off only to compare with
    /// parsers that do not check it.
    var requireHost = true

    enum RequestLinePart {
        case method, target, version, lineEnd
    }
    var headLength = 0
    var start = StartLine()
    var facts = HeadFacts()
    var fields = FieldSpans()
    var trailers: HTTPFields? = nil
    var trailerBytes = 0
    var framing: HTTPBodyFraming = .none
    var keepAlive = true
    /// Set by the response parser: the request was HEAD (no body) or CONNECT (a tunnel on 2xx).
    var requestWasHead = false
    var requestWasConnect = false

    init(limits: HTTPParserLimits, isRequest: Bool) {
        self.limits = limits
        self.isRequest = isRequest
    }

    // MARK: - Steps

    /// Runs until one event: the head is complete (`.head`, head bytes not yet consumed: the
    /// caller builds the head then calls `headConsumed`), body bytes, the end, or more needed.
    mutating func step(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> (CoreEvent, Int) {
        var pos = 0
        while true {
            switch phase {
            case .head:
                if try scanHead(p) { return (.head, 0) }
                return (.needMore, 0)
            case .contentLength(let remaining):
                let n = min(remaining, p.count - pos)
                if n == 0 { return (.needMore, pos) }
                phase = remaining == n ? .endPending : .contentLength(remaining - n)
                return (.body(pos..<pos + n), pos + n)
            case .chunkLine:
                let line = UnsafeRawBufferPointer(rebasing: p[pos...])
                guard let (size, next) = try scanChunkLine(line, base: pos) else { return (.needMore, pos) }
                pos += next
                scanned = 0
                phase = size == 0 ? .trailers : .chunkData(size)
            case .chunkData(let remaining):
                let n = min(remaining, p.count - pos)
                if n == 0 { return (.needMore, pos) }
                phase = remaining == n ? .chunkDataEnd : .chunkData(remaining - n)
                return (.body(pos..<pos + n), pos + n)
            case .chunkDataEnd:
                guard pos < p.count else { return (.needMore, pos) }
                let b = p[pos]
                if b == 0x0A {
                    pos += 1
                } else if b == 0x0D {
                    guard pos + 1 < p.count else { return (.needMore, pos) }
                    guard p[pos + 1] == 0x0A else {
                        throw HTTPParseError(.invalidChunkTerminator, at: streamOffset + pos + 1)
                    }
                    pos += 2
                } else {
                    throw HTTPParseError(.invalidChunkTerminator, at: streamOffset + pos)
                }
                phase = .chunkLine
            case .trailers:
                let line = UnsafeRawBufferPointer(rebasing: p[pos...])
                guard let (done, next) = try scanTrailerLine(line, base: pos) else { return (.needMore, pos) }
                pos += next
                scanned = 0
                if done {
                    phase = .endPending
                    return (.end, pos)
                }
            case .endPending:
                return (.end, pos)
            case .untilClose:
                let n = p.count - pos
                if n == 0 { return (.needMore, pos) }
                return (.body(pos..<pos + n), pos + n)
            case .upgraded:
                return (.needMore, pos)
            }
        }
    }

    /// Records a step's consumption and, after `.end`, readies the parser for the next message.
    mutating func advance(by consumed: Int, ended: Bool) {
        streamOffset += consumed
        if ended {
            let upgraded = !isRequest && facts.statusCode == 101
                || (!isRequest && requestWasConnect && facts.statusCode / 100 == 2)
            resetForNextMessage()
            if upgraded { phase = .upgraded }
        }
    }

    /// After the caller built the head: consumes it and moves to the body framing.
    mutating func headConsumed() {
        streamOffset += headLength
        scanned = 0
        lineStart = 0
        if case .some = trailers { trailers = nil }
        switch framing {
        case .none:
            if !isRequest && facts.statusCode / 100 == 1 && facts.statusCode != 101 {
                resetForNextMessage()  // an interim response: the final one follows
            } else {
                phase = .endPending
            }
        case .contentLength(let n): phase = n == 0 ? .endPending : .contentLength(n)
        case .chunked: phase = .chunkLine
        case .untilClose: phase = .untilClose
        }
    }

    mutating func resetForNextMessage() {
        phase = .head
        scanned = 0
        lineStart = 0
        inStartLine = true
        requestLinePart = .method
        // (`start` is not reset: each start line sets every offset of it that is read later.)
        headLength = 0
        facts = HeadFacts()
        fields.removeAll()
        trailerBytes = 0
        framing = .none
        keepAlive = true
    }

    /// Whether the parser is inside a message (bytes of it seen, its end not yet reached).
    var isMidMessage: Bool {
        switch phase {
        case .head: !inStartLine || scanned > lineStart  // empty lines before a message are not one
        case .endPending, .upgraded: false
        default: true
        }
    }
}
