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
    var transferEncoding = false
    var transferEncodingLine = 0
    var transferEncodingValue = 0
    var chunkedLast = false
    var otherCoding = false
    var codingCount = 0
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
        start = StartLine()
        headLength = 0
        facts = HeadFacts()
        fields.removeAll()
        trailers = nil
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

    // MARK: - Head

    /// Scans the head from where the last step stopped; true once its empty line is found.
    mutating func scanHead(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> Bool {
        let count = p.count
        let window = min(count, limits.maxHeadBytes)
        var i = scanned
        while true {
            if inStartLine && isRequest {
                guard try scanRequestLine(p, &i, window) else {
                    scanned = i
                    if count >= limits.maxHeadBytes {
                        throw HTTPParseError(.headTooLarge, at: streamOffset + limits.maxHeadBytes)
                    }
                    return false
                }
                inStartLine = false
                lineStart = i
            }
            // Well-formed field lines in bulk; the line it stops in front of (the empty line, one
            // cut short, one with an error) goes through the careful path below.
            if !inStartLine && i == lineStart && i < window {
                try fieldLinesInBulk(p, &i, window)
                lineStart = i
            }
            // A line that starts with whitespace is rejected as soon as its first byte is seen.
            if !inStartLine && i == lineStart && i < window && isOWS(p[i]) {
                throw HTTPParseError(.obsFold, at: streamOffset + i)
            }
            // Find this line's end, checking its bytes on the way.
            if inStartLine {
                skipStartLineBytes(p, &i, window)
            } else {
                skipFieldBytes(p, &i, window)
            }
            if i >= window {
                scanned = i
                if count >= limits.maxHeadBytes {
                    if inStartLine { try checkStartLine(p, lineStart, window, complete: false) }
                    throw HTTPParseError(.headTooLarge, at: streamOffset + limits.maxHeadBytes)
                }
                return false
            }
            let b = p[i]
            let contentEnd = i
            let next: Int
            if b == 0x0A {
                next = i + 1
            } else if b == 0x0D {
                if i + 1 >= window {
                    scanned = i
                    if count > window {
                        throw HTTPParseError(.headTooLarge, at: streamOffset + limits.maxHeadBytes)
                    }
                    return false
                }
                guard p[i + 1] == 0x0A else { throw HTTPParseError(.bareCR, at: streamOffset + i) }
                next = i + 2
            } else if inStartLine {
                // A control byte: the start line's own grammar names what it broke.
                try checkStartLine(p, lineStart, i + 1, complete: false)
                throw HTTPParseError(isRequest ? .invalidRequestLine : .invalidStatusLine, at: streamOffset + i)
            } else {
                throw HTTPParseError(.controlCharacter, at: streamOffset + i)
            }

            if inStartLine {
                if contentEnd > lineStart {
                    try checkStartLine(p, lineStart, contentEnd, complete: true)
                    inStartLine = false
                }
                // An empty line before the request line is skipped (RFC 9112 §2.2).
            } else if contentEnd == lineStart {
                headLength = next
                try finishHead(emptyLineAt: lineStart)
                scanned = next
                return true
            } else {
                try fieldLine(p, lineStart, contentEnd)
            }
            lineStart = next
            i = next
        }
    }

    /// Scans the request line `method SP target SP HTTP/1.x` from `i`, resuming where the last
    /// step stopped; true once its line end is passed (`i` then starts the first field line).
    /// Each byte is judged when it is first seen, so an error is found as early as possible.
    mutating func scanRequestLine(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ window: Int)
        throws(HTTPParseError) -> Bool
    {
        while true {
            switch requestLinePart {
            case .method:
                while i < window && isTChar(p[i]) { i += 1 }
                if i >= window { return false }
                let b = p[i]
                if i == lineStart {
                    // Empty lines before the request line are skipped (RFC 9112 §2.2).
                    if b == 0x0A {
                        i += 1
                        lineStart = i
                        continue
                    }
                    if b == 0x0D {
                        if i + 1 >= window { return false }
                        guard p[i + 1] == 0x0A else { throw HTTPParseError(.bareCR, at: streamOffset + i) }
                        i += 2
                        lineStart = i
                        continue
                    }
                    throw HTTPParseError(.invalidMethod, at: streamOffset + i)
                }
                guard b == 0x20 else {
                    throw HTTPParseError(b == 0x0A || b == 0x0D ? .invalidRequestLine : .invalidMethod, at: streamOffset + i)
                }
                start.methodStart = lineStart
                start.methodEnd = i
                i += 1
                start.targetStart = i
                requestLinePart = .target
            case .target:
                while i &+ 8 <= window {
                    let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let low = (w &- 0x2121_2121_2121_2121) & ~w
                    let high = (w &+ 0x0101_0101_0101_0101) | w
                    if (low | high) & 0x8080_8080_8080_8080 != 0 { break }
                    i &+= 8
                }
                // (the byte loop below finds the exact stop: "high" can flag a byte late)
                while i < window && isVisibleASCII(p[i]) { i += 1 }
                if i - start.targetStart > limits.maxTargetLength {
                    throw HTTPParseError(.targetTooLong, at: streamOffset + start.targetStart + limits.maxTargetLength)
                }
                if i >= window { return false }
                let b = p[i]
                if i == start.targetStart || (b != 0x20 && b != 0x0D && b != 0x0A) {
                    throw HTTPParseError(.invalidTarget, at: streamOffset + i)
                }
                if b != 0x20 { throw HTTPParseError(.invalidRequestLine, at: streamOffset + i) }
                start.targetEnd = i
                i += 1
                start.versionStart = i
                requestLinePart = .version
            case .version:
                // "HTTP/1.1" or "HTTP/1.0" whole, as one eight-byte compare; anything else (or a
                // version split across reads) goes byte by byte below.
                if i == start.versionStart && i &+ 8 <= window {
                    let word = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if word == http11Word || word == http10Word {
                        facts.minorVersion = word == http10Word ? 0 : 1
                        i &+= 8
                        requestLinePart = .lineEnd
                        continue
                    }
                }
                let expected: StaticString = "HTTP/"
                while i < window {
                    let k = i - start.versionStart
                    if k == 8 { break }
                    let b = p[i]
                    switch k {
                    case 0..<5:
                        if b != expected.utf8Start[k] { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
                    case 5:
                        guard b &- 48 < 10 else { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
                        if b != UInt8(ascii: "1") {
                            throw HTTPParseError(.unsupportedVersion, at: streamOffset + start.versionStart)
                        }
                    case 6:
                        if b != UInt8(ascii: ".") { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
                    default:
                        guard b &- 48 < 10 else { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
                        facts.minorVersion = b == UInt8(ascii: "0") ? 0 : 1
                    }
                    i += 1
                }
                if i - start.versionStart < 8 { return false }
                requestLinePart = .lineEnd
            case .lineEnd:
                if i >= window { return false }
                let b = p[i]
                if b == 0x0A {
                    i += 1
                    return true
                }
                if b == 0x0D {
                    if i + 1 >= window { return false }
                    guard p[i + 1] == 0x0A else { throw HTTPParseError(.bareCR, at: streamOffset + i) }
                    i += 2
                    return true
                }
                throw HTTPParseError(.invalidVersion, at: streamOffset + i)
            }
        }
    }

    /// The bytes a status line may hold before its line end: stops at CR, LF or another control byte.
    @inline(__always)
    func skipStartLineBytes(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) {
        while i &+ 8 <= end {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let m = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
            if m == 0 {
                i &+= 8
                continue
            }
            i &+= m.trailingZeroBitCount &>> 3
            if p[i] != 0x09 { return }
            i &+= 1
        }
        while i < end && (p[i] >= 0x20 || p[i] == 0x09) { i &+= 1 }
    }

    /// The bytes a field line may hold (HTAB, SP, VCHAR, obs-text): stops at anything else.
    /// Eight bytes at a time: the lowest flagged byte of the SWAR masks is exact, so the scan
    /// jumps straight to it.
    @inline(__always)
    func skipFieldBytes(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) {
        while i &+ 8 <= end {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let low = (w &- 0x2020_2020_2020_2020) & ~w
            let x = w ^ 0x7F7F_7F7F_7F7F_7F7F
            let del = (x &- 0x0101_0101_0101_0101) & ~x
            let m = (low | del) & 0x8080_8080_8080_8080
            if m == 0 {
                i &+= 8
                continue
            }
            i &+= m.trailingZeroBitCount &>> 3
            if p[i] != 0x09 { return }
            i &+= 1
        }
        while i < end && isFieldByte(p[i]) { i &+= 1 }
    }

    /// Checks the status line `[s, e)`; with `complete: false` it is a prefix, and running out of
    /// bytes is not an error. (The request line has its own resumable scan.)
    mutating func checkStartLine(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, complete: Bool)
        throws(HTTPParseError)
    {
        try checkStatusLine(p, s, e, complete: complete)
    }

    /// Checks `HTTP/1.x` at `s`; returns the offset after it (or `e` for a short prefix).
    mutating func checkVersion(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, complete: Bool)
        throws(HTTPParseError) -> Int
    {
        let expected: StaticString = "HTTP/"
        var i = s
        for k in 0..<5 {
            if i == e {
                if !complete { return e }
                throw HTTPParseError(.invalidVersion, at: streamOffset + i)
            }
            if p[i] != expected.utf8Start[k] { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
            i += 1
        }
        var digits = (0, 0)
        for k in 0..<3 {
            if i == e {
                if !complete { return e }
                throw HTTPParseError(.invalidVersion, at: streamOffset + i)
            }
            let b = p[i]
            if k == 1 {
                if b != UInt8(ascii: ".") { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
            } else {
                guard b &- 48 < 10 else { throw HTTPParseError(.invalidVersion, at: streamOffset + i) }
                if k == 0 { digits.0 = Int(b - 48) } else { digits.1 = Int(b - 48) }
            }
            i += 1
        }
        if digits.0 != 1 { throw HTTPParseError(.unsupportedVersion, at: streamOffset + s) }
        facts.minorVersion = digits.1 == 0 ? 0 : 1
        return i
    }

    mutating func checkStatusLine(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, complete: Bool)
        throws(HTTPParseError)
    {
        var i = try checkVersion(p, s, e, complete: complete)
        if i == e && !complete { return }
        guard i < e, p[i] == 0x20 else { throw HTTPParseError(.invalidStatusLine, at: streamOffset + i) }
        i += 1
        var code = 0
        for _ in 0..<3 {
            if i == e && !complete { return }
            guard i < e, p[i] &- 48 < 10 else { throw HTTPParseError(.invalidStatusLine, at: streamOffset + i) }
            code = code * 10 + Int(p[i] - 48)
            i += 1
        }
        if code < 100 { throw HTTPParseError(.invalidStatusLine, at: streamOffset + i - 3) }
        facts.statusCode = code
        start.reasonStart = i
        start.reasonEnd = i
        if i == e { return }
        guard p[i] == 0x20 else { throw HTTPParseError(.invalidStatusLine, at: streamOffset + i) }
        i += 1
        start.reasonStart = i
        while i < e && isFieldByte(p[i]) { i += 1 }
        if i < e { throw HTTPParseError(.invalidStatusLine, at: streamOffset + i) }
        start.reasonEnd = e
    }

    /// Splits a field line `[s, e)` into name and trimmed value; throws at the first bad byte.
    @inline(__always)
    func splitFieldLine(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, base: Int) throws(HTTPParseError)
        -> (nameEnd: Int, valueStart: Int, valueEnd: Int)
    {
        let b0 = p[s]
        if isOWS(b0) { throw HTTPParseError(.obsFold, at: base + s) }
        var i = s
        while i < e && isTChar(p[i]) { i += 1 }
        if i == e { throw HTTPParseError(.missingColon, at: base + e) }
        let c = p[i]
        if c != UInt8(ascii: ":") {
            throw HTTPParseError(isOWS(c) ? .whitespaceBeforeColon : .invalidFieldName, at: base + i)
        }
        if i == s { throw HTTPParseError(.invalidFieldName, at: base + i) }
        let nameEnd = i
        i += 1
        while i < e && isOWS(p[i]) { i += 1 }
        var ve = e
        while ve > i && isOWS(p[ve - 1]) { ve -= 1 }
        return (nameEnd, i, ve)
    }

    mutating func fieldLine(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int) throws(HTTPParseError) {
        let (nameEnd, vs, ve) = try splitFieldLine(p, s, e, base: streamOffset)
        if fields.count >= limits.maxFieldCount {
            throw HTTPParseError(.tooManyFields, at: streamOffset + s)
        }
        fields.append(FieldSpan(nameStart: s, nameEnd: nameEnd, valueStart: vs, valueEnd: ve))
        try noteFramingField(p, s, nameEnd, vs, ve, index: fields.count - 1)
    }

    /// Takes the well-formed field lines from `i` (a line start) with the C scanner, 16 at a
    /// time written straight into `fields`, and notes their framing fields in order; `i` ends at
    /// the first line it left.
    mutating func fieldLinesInBulk(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ window: Int) throws(HTTPParseError) {
        guard let base = p.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        while true {
            let room = min(limits.maxFieldCount - fields.count, 16)
            if room <= 0 { return }
            let first = fields.count
            var next = 0
            let taken = fields.appendInPlace(room: room) { spans in
                csched_http_field_lines(base, i, window, spans, room, &next)
            }
            for k in first..<(first + taken) {
                let span = fields[k]
                // Only names as long as a framing field's are looked at more closely.
                if (framingNameLengths >> UInt32(truncatingIfNeeded: span.nameEnd - span.nameStart)) & 1 != 0 {
                    try noteFramingField(p, span.nameStart, span.nameEnd, span.valueStart, span.valueEnd, index: k)
                }
            }
            i = next
            if taken < room { return }
        }
    }

    /// Reads the fields that decide framing and connection handling as they are scanned.
    mutating func noteFramingField(
        _ p: UnsafeRawBufferPointer, _ ns: Int, _ ne: Int, _ vs: Int, _ ve: Int, index: Int
    ) throws(HTTPParseError)
    {
        switch ne - ns {
        case 4:
            if equalsLowercased(p, ns, ne, "host") {
                facts.hostCount += 1
                if facts.hostCount > 1 && isRequest { throw HTTPParseError(.duplicateHost, at: streamOffset + ns) }
                facts.hostField = index
            }
        case 6:
            if equalsLowercased(p, ns, ne, "expect") {
                facts.expectContinue = equalsLowercased(p, vs, ve, "100-continue")
            }
        case 7:
            if equalsLowercased(p, ns, ne, "upgrade") { facts.upgradeField = true }
        case 10:
            if equalsLowercased(p, ns, ne, "connection") {
                // The usual single values first; a list takes the general path.
                if equalsLowercased(p, vs, ve, "keep-alive") {
                    facts.connectionKeepAlive = true
                    return
                }
                if equalsLowercased(p, vs, ve, "close") {
                    facts.connectionClose = true
                    return
                }
                try forEachListMember(p, vs, ve) { ms, me in
                    if equalsLowercased(p, ms, me, "close") {
                        facts.connectionClose = true
                    } else if equalsLowercased(p, ms, me, "keep-alive") {
                        facts.connectionKeepAlive = true
                    } else if equalsLowercased(p, ms, me, "upgrade") {
                        facts.connectionUpgrade = true
                    }
                }
            }
        case 14:
            if equalsLowercased(p, ns, ne, "content-length") {
                if facts.transferEncoding {
                    throw HTTPParseError(.contentLengthWithTransferEncoding, at: streamOffset + ns)
                }
                try contentLengthField(p, vs, ve)
                facts.contentLengthLine = ns
            }
        case 17:
            if equalsLowercased(p, ns, ne, "transfer-encoding") {
                if facts.contentLength != nil {
                    throw HTTPParseError(.contentLengthWithTransferEncoding, at: streamOffset + ns)
                }
                facts.transferEncoding = true
                facts.transferEncodingLine = ns
                facts.transferEncodingValue = vs
                try transferEncodingField(p, vs, ve)
            }
        default:
            break
        }
    }

    /// `Content-Length = 1*DIGIT`; a list of equal values is one value (RFC 9110 §8.6).
    mutating func contentLengthField(_ p: UnsafeRawBufferPointer, _ vs: Int, _ ve: Int) throws(HTTPParseError) {
        if vs == ve { throw HTTPParseError(.invalidContentLength, at: streamOffset + vs) }
        var i = vs
        while i <= ve {
            // One member: digits, then OWS, then a comma or the end.
            while i < ve && isOWS(p[i]) { i += 1 }
            let ms = i
            var value = 0
            while i < ve && p[i] &- 48 < 10 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(p[i] - 48))
                if o1 || o2 { throw HTTPParseError(.invalidContentLength, at: streamOffset + i) }
                value = a
                i += 1
            }
            if i == ms { throw HTTPParseError(.invalidContentLength, at: streamOffset + i) }
            while i < ve && isOWS(p[i]) { i += 1 }
            if i < ve && p[i] != UInt8(ascii: ",") { throw HTTPParseError(.invalidContentLength, at: streamOffset + i) }
            if let previous = facts.contentLength, previous != value {
                throw HTTPParseError(.conflictingContentLength, at: streamOffset + ms)
            }
            facts.contentLength = value
            i += 1
        }
    }

    /// `Transfer-Encoding = #transfer-coding`; only a final `chunked` frames a body here.
    mutating func transferEncodingField(_ p: UnsafeRawBufferPointer, _ vs: Int, _ ve: Int) throws(HTTPParseError) {
        try forEachListMember(p, vs, ve) { ms, me throws(HTTPParseError) in
            if facts.chunkedLast {  // something after chunked
                throw HTTPParseError(.invalidTransferEncoding, at: streamOffset + ms)
            }
            var i = ms
            while i < me && isTChar(p[i]) { i += 1 }
            if i == ms { throw HTTPParseError(.invalidTransferEncoding, at: streamOffset + i) }
            if i == me && equalsLowercased(p, ms, me, "chunked") {
                facts.chunkedLast = true
            } else {
                // Another coding, maybe with parameters: well-formed enough to answer 501.
                while i < me && p[i] != 0x22 && isFieldByte(p[i]) { i += 1 }
                if i < me { throw HTTPParseError(.invalidTransferEncoding, at: streamOffset + i) }
                facts.otherCoding = true
            }
            facts.codingCount += 1
        }
    }

    /// The empty line ends the head: checks what needs the whole head and picks the framing.
    mutating func finishHead(emptyLineAt offset: Int) throws(HTTPParseError) {
        if facts.transferEncoding {
            if facts.minorVersion == 0 || !facts.chunkedLast {
                throw HTTPParseError(.invalidTransferEncoding, at: streamOffset + facts.transferEncodingValue)
            }
            if facts.otherCoding {
                throw HTTPParseError(.unsupportedTransferCoding, at: streamOffset + facts.transferEncodingValue)
            }
        }
        if isRequest {
            if facts.minorVersion == 1 && facts.hostCount == 0 && requireHost {
                throw HTTPParseError(.missingHost, at: streamOffset + offset)
            }
            framing =
                facts.transferEncoding ? .chunked : facts.contentLength.map { .contentLength($0) } ?? .none
        } else {
            let code = facts.statusCode
            if code / 100 == 1 || code == 204 || code == 304 || requestWasHead
                || (requestWasConnect && code / 100 == 2)
            {
                framing = .none
            } else if facts.transferEncoding {
                framing = .chunked
            } else if let n = facts.contentLength {
                framing = .contentLength(n)
            } else {
                framing = .untilClose
            }
        }
        if facts.minorVersion == 0 {
            keepAlive = facts.connectionKeepAlive && !facts.connectionClose
        } else {
            keepAlive = !facts.connectionClose
        }
        if framing == .untilClose { keepAlive = false }
    }

    // MARK: - Chunked framing

    /// Finds the end of the line at the buffer's start (scanning on from `scanned`); nil when
    /// more bytes are needed. Returns the content end and the offset after the line end.
    @inline(__always)
    mutating func lineEnd(_ p: UnsafeRawBufferPointer, window: Int, base: Int) throws(HTTPParseError)
        -> (contentEnd: Int, next: Int, stop: Int)?
    {
        var i = scanned
        let end = min(p.count, window)
        skipFieldBytes(p, &i, end)
        scanned = i
        if i >= end { return nil }
        let b = p[i]
        if b == 0x0A { return (i, i + 1, i) }
        if b == 0x0D {
            if i + 1 >= end { return nil }
            if p[i + 1] == 0x0A { return (i, i + 2, i) }
            throw HTTPParseError(.bareCR, at: streamOffset + base + i)
        }
        return (i, -1, i)  // a control byte: the caller names the error
    }

    /// Scans a chunk-size line at the buffer's start; returns the size and the line's length.
    mutating func scanChunkLine(_ p: UnsafeRawBufferPointer, base: Int) throws(HTTPParseError) -> (Int, Int)? {
        let window = limits.maxChunkLineLength + 2
        guard let (contentEnd, next, stop) = try lineEnd(p, window: window, base: base) else {
            if p.count >= window {
                _ = try parseChunkLine(p, min(p.count, limits.maxChunkLineLength), base: base, complete: false)
                throw HTTPParseError(.invalidChunkExtension, at: streamOffset + base + limits.maxChunkLineLength)
            }
            return nil
        }
        if next < 0 {
            _ = try parseChunkLine(p, stop + 1, base: base, complete: false)
            throw HTTPParseError(.invalidChunkExtension, at: streamOffset + base + stop)
        }
        if contentEnd > limits.maxChunkLineLength {
            _ = try parseChunkLine(p, limits.maxChunkLineLength, base: base, complete: false)
            throw HTTPParseError(.invalidChunkExtension, at: streamOffset + base + limits.maxChunkLineLength)
        }
        let size = try parseChunkLine(p, contentEnd, base: base, complete: true)
        return (size, next)
    }

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1) over `[0, e)`.
    func parseChunkLine(_ p: UnsafeRawBufferPointer, _ e: Int, base: Int, complete: Bool) throws(HTTPParseError)
        -> Int
    {
        let at = streamOffset + base
        var i = 0
        var size = 0
        while i < e, let d = hexValue(p[i]) {
            if i >= limits.maxChunkSizeDigits { throw HTTPParseError(.invalidChunkSize, at: at + i) }
            if size > (Int.max - d) >> 4 { throw HTTPParseError(.chunkSizeOverflow, at: at + i) }
            size = size << 4 | d
            i += 1
        }
        if i == e && !complete { return size }
        if i == 0 { throw HTTPParseError(.invalidChunkSize, at: at) }
        if i < e && p[i] != UInt8(ascii: ";") && !isOWS(p[i]) { throw HTTPParseError(.invalidChunkSize, at: at + i) }
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
        while i < e {
            while i < e && isOWS(p[i]) { i += 1 }
            if i == e { if complete { throw HTTPParseError(.invalidChunkExtension, at: at + i) } else { return size } }
            guard p[i] == UInt8(ascii: ";") else { throw HTTPParseError(.invalidChunkExtension, at: at + i) }
            i += 1
            while i < e && isOWS(p[i]) { i += 1 }
            let nameStart = i
            while i < e && isTChar(p[i]) { i += 1 }
            if i == e && !complete { return size }
            if i == nameStart { throw HTTPParseError(.invalidChunkExtension, at: at + i) }
            var j = i
            while j < e && isOWS(p[j]) { j += 1 }
            if j == e && !complete { return size }
            guard j < e, p[j] == UInt8(ascii: "=") else { continue }
            i = j + 1
            while i < e && isOWS(p[i]) { i += 1 }
            if i == e && !complete { return size }
            if i < e && p[i] == 0x22 {
                i += 1
                var closed = false
                while i < e {
                    let b = p[i]
                    if b == 0x22 {
                        closed = true
                        i += 1
                        break
                    }
                    if b == 0x5C {
                        i += 1
                        if i == e { break }
                        guard isFieldByte(p[i]) else { throw HTTPParseError(.invalidChunkExtension, at: at + i) }
                    } else if !isFieldByte(b) {
                        throw HTTPParseError(.invalidChunkExtension, at: at + i)
                    }
                    i += 1
                }
                if !closed {
                    if !complete { return size }
                    throw HTTPParseError(.invalidChunkExtension, at: at + i)
                }
            } else {
                let valueStart = i
                while i < e && isTChar(p[i]) { i += 1 }
                if i == valueStart && (i < e || complete) {
                    throw HTTPParseError(.invalidChunkExtension, at: at + i)
                }
            }
        }
        return size
    }

    /// Scans one trailer line at the buffer's start; returns whether it was the empty last line
    /// and its length.
    mutating func scanTrailerLine(_ p: UnsafeRawBufferPointer, base: Int) throws(HTTPParseError) -> (Bool, Int)? {
        let window = limits.maxHeadBytes - trailerBytes
        guard let (contentEnd, next, stop) = try lineEnd(p, window: window, base: base) else {
            if p.count >= window {
                throw HTTPParseError(.headTooLarge, at: streamOffset + base + window)
            }
            return nil
        }
        if next < 0 { throw HTTPParseError(.controlCharacter, at: streamOffset + base + stop) }
        trailerBytes += next
        if contentEnd == 0 { return (true, next) }
        let (nameEnd, vs, ve) = try splitFieldLine(p, 0, contentEnd, base: streamOffset + base)
        if (trailers?.count ?? 0) >= limits.maxFieldCount {
            throw HTTPParseError(.tooManyFields, at: streamOffset + base)
        }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: p[0..<nameEnd]), as: UTF8.self)
        if let fieldName = HTTPField.Name(name) {
            if trailers == nil { trailers = HTTPFields() }
            trailers!.append(HTTPField(name: fieldName, value: UnsafeRawBufferPointer(rebasing: p[vs..<ve])))
        }
        return (false, next)
    }
}

/// The lengths of the field names `noteFramingField` reads (Host, Expect, Upgrade, Connection,
/// Content-Length, Transfer-Encoding) as bits of a mask.
let framingNameLengths: UInt32 = 1 << 4 | 1 << 6 | 1 << 7 | 1 << 10 | 1 << 14 | 1 << 17

/// "HTTP/1.1" and "HTTP/1.0" as the little-endian words an eight-byte load of them gives.
let http11Word = UInt64(0x312E_312F_5054_5448)
let http10Word = UInt64(0x302E_312F_5054_5448)

/// Calls `body` with each non-empty member of a comma-separated list, trimmed of OWS.
@inline(__always)
func forEachListMember(
    _ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, _ body: (Int, Int) throws(HTTPParseError) -> Void
) throws(HTTPParseError) {
    var i = s
    while i < e {
        var ms = i
        while i < e && p[i] != UInt8(ascii: ",") { i += 1 }
        var me = i
        while ms < me && isOWS(p[ms]) { ms += 1 }
        while me > ms && isOWS(p[me - 1]) { me -= 1 }
        if me > ms { try body(ms, me) }
        i += 1
    }
}
