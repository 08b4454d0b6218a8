import HTTPTypes

/// An incremental, strict HTTP/1.1 request parser (RFC 9112) over a connection's receive buffer.
///
/// Give `next(_:)` the bytes not yet consumed, starting at the first one, and drop the
/// `consumed` bytes it reports; bytes not consumed must be given again with new bytes after
/// them. While a head is incomplete nothing is consumed and nothing is copied: the parser keeps
/// offsets into the buffer and resumes scanning where it stopped. Pipelined messages follow one
/// another: bytes after a message's end belong to the next.
///
/// ```swift
/// var parser = HTTPRequestParser()
/// let step = try parser.next(buffer)   // .head(request), .body(bytes), .end(trailers:), .needMore
/// buffer.removeFirst(step.consumed)
/// ```
public struct HTTPRequestParser {
    var core: HTTPMessageCore
    /// The last lazy head, written over for the next one once no request holds it.
    var spareHead: LazyRequestHead?

    /// A parser for the requests of one connection, bounded by `limits`. `requireHost: false`
    /// accepts HTTP/1.1 requests without Host (RFC 9112 §3.2 says 400; for tools and proxies).
    public init(limits: HTTPParserLimits = .default, requireHost: Bool = true) {
        core = HTTPMessageCore(limits: limits, isRequest: true)
        core.requireHost = requireHost
    }

    /// The limits this parser enforces.
    public var limits: HTTPParserLimits { core.limits }

    /// Parses the next event from `buffer`, which starts at the first byte not yet consumed.
    public mutating func next(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPParserStep<HTTPRequest> {
        let (event, consumed) = try core.step(buffer)
        guard case .head = event else { return otherStep(event, consumed, buffer) }
        let request = try buildRequest(buffer)
        let length = core.headLength
        core.headConsumed()
        return HTTPParserStep(event: .head(request), consumed: length)
    }

    /// As `next(_:)`, but a head comes as spans into `buffer` (`HTTPRequestHeadView`): checked
    /// exactly as `next(_:)` checks it, framing and all, with no swift-http-types value built.
    /// The view is valid only while `buffer`'s bytes are.
    public mutating func nextView(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPRequestViewStep {
        if case .endPending = core.phase {  // a message without a body, just after its head
            core.advance(by: 0, ended: true)
            return HTTPRequestViewStep(event: .end, consumed: 0)
        }
        let (event, consumed) = try core.step(buffer)
        switch event {
        case .head:
            let view = HTTPRequestHeadView(buffer: buffer, start: core.start, spans: core.fields.base, count: core.fields.count)
            let length = core.headLength
            core.headConsumed()
            return HTTPRequestViewStep(event: .head(view), consumed: length)
        case .body(let range):
            core.advance(by: consumed, ended: false)
            return HTTPRequestViewStep(event: .body(UnsafeRawBufferPointer(rebasing: buffer[range])), consumed: consumed)
        case .end:
            core.advance(by: consumed, ended: true)
            return HTTPRequestViewStep(event: .end, consumed: consumed)
        case .needMore:
            core.advance(by: consumed, ended: false)
            return HTTPRequestViewStep(event: .needMore, consumed: consumed)
        }
    }

    /// As `next(_:)`, but a head comes as a `LazyRequestHead`: checked as `next(_:)` checks it,
    /// method and target included, its bytes copied, its `HTTPRequest` built only when asked for.
    mutating func nextLazy(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPParserStep<LazyRequestHead> {
        let (event, consumed) = try core.step(buffer)
        guard case .head = event else { return otherStep(event, consumed, buffer) }
        let s = core.start
        let method = try Self.method(buffer, s.methodStart, s.methodEnd, at: core.streamOffset)
        try Self.checkTarget(buffer, s, method: method, at: core.streamOffset)
        let length = core.headLength
        let head = LazyRequestHead.make(
            buffer, length: length, start: s, spans: core.fields, hostField: core.facts.hostField, method: method,
            reusing: &spareHead)
        core.headConsumed()
        return HTTPParserStep(event: .head(head), consumed: length)
    }

    /// A step that is not a head: body bytes, the end, or more needed.
    mutating func otherStep<Head>(_ event: CoreEvent, _ consumed: Int, _ buffer: UnsafeRawBufferPointer)
        -> HTTPParserStep<Head>
    {
        switch event {
        case .body(let range):
            core.advance(by: consumed, ended: false)
            return HTTPParserStep(event: .body(UnsafeRawBufferPointer(rebasing: buffer[range])), consumed: consumed)
        case .end:
            let trailers = core.trailers
            core.advance(by: consumed, ended: true)
            return HTTPParserStep(event: .end(trailers: trailers), consumed: consumed)
        case .head, .needMore:
            core.advance(by: consumed, ended: false)
            return HTTPParserStep(event: .needMore, consumed: consumed)
        }
    }

    /// Tells the parser the input has ended; throws `unexpectedEnd` inside a message.
    public mutating func finish() throws(HTTPParseError) {
        if core.isMidMessage { throw HTTPParseError(.unexpectedEnd, at: core.streamOffset + core.scanned) }
    }

    /// The body framing of the last head (valid from `.head` to the next head).
    public var framing: HTTPBodyFraming { core.framing }
    /// The Content-Length the last head declared, if any: a server checks it against its body limit (413).
    public var declaredContentLength: Int? { core.facts.contentLength }
    /// The version of the last head: 1.0 or 1.1 (HTTP/1.2 and up read as 1.1).
    public var version: HTTPVersion { core.facts.minorVersion == 0 ? .http1_0 : .http1_1 }
    /// Whether the connection may stay open after this message (HTTP/1.0 and 1.1 rules with Connection).
    public var keepAlive: Bool { core.keepAlive }
    /// Whether the last head carried `Expect: 100-continue`.
    public var expectsContinue: Bool { core.facts.expectContinue }
    /// Whether the last head asked for a protocol upgrade (Upgrade with Connection: upgrade).
    public var isUpgrade: Bool { core.facts.upgradeField && core.facts.connectionUpgrade }
    /// Bytes consumed since the parser was made: the offset of the next buffer's first byte.
    public var bytesConsumed: Int { core.streamOffset }
    /// The length of the last head in bytes (leading empty lines included).
    public var headLength: Int { core.headLength }
    /// The trailer fields of the last chunked body, from its `.end` until the next head.
    public var trailers: HTTPFields? { core.trailers }

    mutating func buildRequest(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPRequest {
        let s = core.start
        let base = core.streamOffset
        let method = try Self.method(p, s.methodStart, s.methodEnd, at: base)
        try Self.checkTarget(p, s, method: method, at: base)
        return try Self.build(
            p, s, spans: core.fields, hostField: core.facts.hostField, method: method, at: base, names: FieldNameCache.current)
    }

    /// Throws `invalidTarget` unless the target is origin-form, `*`, absolute-form or (for
    /// CONNECT) authority-form: what `build` can make a request of.
    static func checkTarget(_ p: UnsafeRawBufferPointer, _ s: StartLine, method: HTTPRequest.Method, at base: Int)
        throws(HTTPParseError)
    {
        let target = UnsafeRawBufferPointer(rebasing: p[s.targetStart..<s.targetEnd])
        let first = target[0]
        if method == .connect || first == UInt8(ascii: "/") || (first == UInt8(ascii: "*") && target.count == 1)
            || absoluteForm(target) != nil
        {
            return
        }
        throw HTTPParseError(.invalidTarget, at: base + s.targetStart)
    }

    /// The swift-http-types request of a head that passed every check (`checkTarget` included):
    /// Host becomes the authority, every other field line a field.
    static func build<Spans: RandomAccessCollection<FieldSpan>>(
        _ p: UnsafeRawBufferPointer, _ s: StartLine, spans: Spans, hostField: Int, method: HTTPRequest.Method,
        at base: Int, names: FieldNameCache
    ) throws(HTTPParseError) -> HTTPRequest {
        let target = UnsafeRawBufferPointer(rebasing: p[s.targetStart..<s.targetEnd])
        var authority: String? = nil
        var fields = HTTPFields()
        // Room for the fields but Host (it becomes the authority): none, and no allocation, for
        // a request that sends Host alone.
        let kept = spans.count - (hostField >= 0 ? 1 : 0)
        if kept > 0 { fields.reserveCapacity(kept) }
        for (index, span) in spans.enumerated() {
            if index == hostField {
                authority = String(decoding: UnsafeRawBufferPointer(rebasing: p[Int(span.valueStart)..<Int(span.valueEnd)]), as: UTF8.self)
                continue
            }
            fields.append(try field(p, span, at: base, names: names))
        }
        guard let parts = targetParts(target, method: method) else {
            throw HTTPParseError(.invalidTarget, at: base + s.targetStart)
        }
        if let fromTarget = parts.authority { authority = fromTarget }
        return HTTPRequest(method: method, scheme: parts.scheme, authority: authority, path: parts.path, headerFields: fields)
    }

    /// The scheme, authority and path a target gives (the authority only for the absolute and
    /// authority forms: otherwise it is Host's); nil for a target of no known form.
    static func targetParts(_ target: UnsafeRawBufferPointer, method: HTTPRequest.Method)
        -> (scheme: String?, authority: String?, path: String?)?
    {
        let first = target[0]
        if method == .connect {
            return (nil, String(decoding: target, as: UTF8.self), nil)  // authority-form: host:port
        } else if first == UInt8(ascii: "/") {
            return ("http", nil, String(decoding: target, as: UTF8.self))
        } else if first == UInt8(ascii: "*") && target.count == 1 {
            return ("http", nil, "*")
        } else if let (schemeEnd, authorityEnd) = absoluteForm(target) {
            let rest = target[authorityEnd...]
            return (
                String(decoding: target[0..<schemeEnd], as: UTF8.self).lowercased(),
                String(decoding: target[(schemeEnd + 3)..<authorityEnd], as: UTF8.self),
                rest.first == UInt8(ascii: "/") ? String(decoding: rest, as: UTF8.self) : "/" + String(decoding: rest, as: UTF8.self)
            )
        }
        return nil
    }

    /// `scheme "://" authority`: returns where the scheme and the authority end.
    static func absoluteForm(_ t: UnsafeRawBufferPointer) -> (Int, Int)? {
        var i = 0
        while i < t.count, isTChar(t[i]), t[i] != UInt8(ascii: ":") { i += 1 }
        guard i > 0, i + 3 <= t.count, t[i] == UInt8(ascii: ":"), t[i + 1] == UInt8(ascii: "/"),
            t[i + 2] == UInt8(ascii: "/")
        else { return nil }
        var j = i + 3
        while j < t.count && t[j] != UInt8(ascii: "/") && t[j] != UInt8(ascii: "?") { j += 1 }
        return (i, j)
    }

    static func method(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int, at base: Int) throws(HTTPParseError)
        -> HTTPRequest.Method
    {
        switch e - s {
        case 3:
            if p[s] == UInt8(ascii: "G") && p[s + 1] == UInt8(ascii: "E") && p[s + 2] == UInt8(ascii: "T") { return .get }
            if p[s] == UInt8(ascii: "P") && p[s + 1] == UInt8(ascii: "U") && p[s + 2] == UInt8(ascii: "T") { return .put }
        case 4:
            if equalsExactly(p, s, "POST") { return .post }
            if equalsExactly(p, s, "HEAD") { return .head }
        case 6:
            if equalsExactly(p, s, "DELETE") { return .delete }
        default:
            break
        }
        guard let method = HTTPRequest.Method(String(decoding: UnsafeRawBufferPointer(rebasing: p[s..<e]), as: UTF8.self))
        else { throw HTTPParseError(.invalidMethod, at: base + s) }
        return method
    }

    /// The field of `span`: a static name for the common ones, else one `names` (this thread's)
    /// kept from an earlier head, else a new one (then kept there).
    static func field(
        _ p: UnsafeRawBufferPointer, _ span: FieldSpan, at base: Int, names: FieldNameCache
    ) throws(HTTPParseError) -> HTTPField {
        let nameBytes = UnsafeRawBufferPointer(rebasing: p[Int(span.nameStart)..<Int(span.nameEnd)])
        let name: HTTPField.Name
        if let known = knownFieldName(nameBytes) {
            name = known
        } else {
            name = try otherName(nameBytes, at: base + Int(span.nameStart), names: names)
        }
        let valueBytes = UnsafeRawBufferPointer(rebasing: p[Int(span.valueStart)..<Int(span.valueEnd)])
        // ASCII values (nearly all) go in as a String, swift-http-types' fast path; values with
        // obs-text bytes keep their exact bytes through the generic path.
        if isASCII(valueBytes) {
            return HTTPField(name: name, value: String(decoding: valueBytes, as: UTF8.self))
        }
        return HTTPField(name: name, value: valueBytes)
    }
}

extension HTTPRequestParser {
    /// A name that is not a static one: found in `names`, else built (and checked) and kept.
    static func otherName(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, names: FieldNameCache
    ) throws(HTTPParseError) -> HTTPField.Name {
        guard bytes.count <= FieldNameCache.maxLength else { return try newName(bytes, at: offset) }
        let hash = FieldNameCache.hash(bytes)
        if let cached = names.name(bytes, hash: hash) { return cached }
        let name = try newName(bytes, at: offset)
        names.remember(name, bytes, hash: hash)
        return name
    }

    /// A new `HTTPField.Name` (swift-http-types checks the token once more).
    static func newName(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(HTTPParseError) -> HTTPField.Name {
        guard let name = HTTPField.Name(String(decoding: bytes, as: UTF8.self)) else {
            throw HTTPParseError(.invalidFieldName, at: offset)
        }
        return name
    }
}

/// Whether every byte is below 0x80, eight at a time.
@inline(__always) func isASCII(_ p: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    var acc: UInt64 = 0
    while i &+ 8 <= p.count {
        acc |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        i &+= 8
    }
    while i < p.count {
        acc |= UInt64(p[i])
        i &+= 1
    }
    return acc & 0x8080_8080_8080_8080 == 0
}

/// Whether the bytes at `s` are exactly `text` (case-sensitive).
@inline(__always) func equalsExactly(_ p: UnsafeRawBufferPointer, _ s: Int, _ text: StaticString) -> Bool {
    let t = text.utf8Start
    for k in 0..<text.utf8CodeUnitCount where p[s + k] != t[k] { return false }
    return true
}
