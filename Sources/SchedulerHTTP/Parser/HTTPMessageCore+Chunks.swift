import HTTPTypes

/// Chunked framing: chunk-size lines and trailer fields.
extension HTTPMessageCore {
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
