import CSchedulerHTTPScan

/// Field lines: split, checked and collected, with the framing fields read as they are scanned.
extension HTTPMessageCore {
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
}

/// The lengths of the field names `noteFramingField` reads (Host, Expect, Upgrade, Connection,
/// Content-Length, Transfer-Encoding) as bits of a mask.
let framingNameLengths: UInt32 = 1 << 4 | 1 << 6 | 1 << 7 | 1 << 10 | 1 << 14 | 1 << 17

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
