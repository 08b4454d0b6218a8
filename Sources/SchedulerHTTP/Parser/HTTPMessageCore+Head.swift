import CSchedulerHTTPScan

/// The head phase: start and field lines scanned up to the empty line, resuming where a step stopped.
extension HTTPMessageCore {
    /// Scans the head from where the last step stopped; true once its empty line is found.
    mutating func scanHead(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> Bool {
        let count = p.count
        let window = min(count, limits.maxHeadBytes)
        var i = scanned
        if i == 0 && inStartLine && isRequest && requestLinePart == .method {
            if try headInOneGo(p, &i, window) { return true }
        }
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
                // The empty line that usually follows: the head ends here.
                if i &+ 1 < window && p[i] == 0x0D && p[i &+ 1] == 0x0A {
                    return try headEnds(at: i, next: i &+ 2)
                }
            }
            // A line that starts with whitespace is rejected as soon as its first byte is seen.
            if !inStartLine && i == lineStart && i < window && isOWS(p[i]) {
                throw HTTPParseError(.obsFold, at: streamOffset + i)
            }
            // Find this line's end, checking its bytes on the way (a status line's reason phrase
            // allows the bytes a field value does: a DEL stops it as early as a control byte).
            skipFieldBytes(p, &i, window)
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
                return try headEnds(at: lineStart, next: next)
            } else {
                try fieldLine(p, lineStart, contentEnd)
            }
            lineStart = next
            i = next
        }
    }

    /// The empty line at `offset` ends the head; `next` is the offset after it.
    @inline(__always)
    mutating func headEnds(at offset: Int, next: Int) throws(HTTPParseError) -> Bool {
        headLength = next
        try finishHead(emptyLineAt: offset)
        scanned = next
        return true
    }

    /// A plainly well-formed request line and the well-formed field lines after it taken in one
    /// C call (the usual head); true when the empty line follows them, so the head is complete.
    /// Anything else is left where the call stopped: to `scanRequestLine` (from the same byte)
    /// when the request line was not taken, else to the line-by-line path from the first line
    /// not taken.
    @inline(__always)
    mutating func headInOneGo(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ window: Int) throws(HTTPParseError)
        -> Bool
    {
        guard let base = p.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var scan = csched_http_head_scan()
        var taken = 0
        // Up to 32 lines here (the spans' first allocation holds 32: an idle connection keeps
        // it); a longer head goes on with the bulk path from the first line not taken.
        let room = min(limits.maxFieldCount, 32)
        _ = fields.appendInPlace(room: room) { spans in
            taken = Int(csched_http_scan_head(base, window, limits.maxTargetLength, spans, room, &scan))
            return taken == 0 ? 0 : Int(scan.field_count)
        }
        guard taken != 0 else { return false }
        start.methodStart = 0
        start.methodEnd = Int(scan.line.method_end)
        start.targetStart = Int(scan.line.target_start)
        start.targetEnd = Int(scan.line.target_end)
        start.versionStart = Int(scan.line.target_end) &+ 1
        facts.minorVersion = Int(scan.line.minor_version)
        inStartLine = false
        requestLinePart = .lineEnd
        var framing = scan.framing
        while framing != 0 {
            let k = framing.trailingZeroBitCount
            framing &= framing &- 1
            let span = fields[k]
            try noteFramingField(p, span.nameStart, span.nameEnd, span.valueStart, span.valueEnd, index: k)
        }
        i = Int(scan.next)
        lineStart = i
        if scan.head_end >= 0 { return try headEnds(at: i, next: Int(scan.head_end)) }
        return false
    }

    /// The bytes a field line or status line may hold (HTAB, SP, VCHAR, obs-text): stops at anything else.
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
}
