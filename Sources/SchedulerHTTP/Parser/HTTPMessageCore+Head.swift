/// The head phase: start and field lines scanned up to the empty line, resuming where a step stopped.
extension HTTPMessageCore {
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
