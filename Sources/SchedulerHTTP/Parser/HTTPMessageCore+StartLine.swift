/// The start line: a request line scanned byte-exact as it arrives, a status line checked whole.
extension HTTPMessageCore {
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
}

/// "HTTP/1.1" and "HTTP/1.0" as the little-endian words an eight-byte load of them gives.
let http11Word = UInt64(0x312E_312F_5054_5448)
let http10Word = UInt64(0x302E_312F_5054_5448)
