import HTTPTypes

/// What the connection driver gets from one parse step.
enum ParsedStep {
    case needMore
    case head(InboundHead)
    case body([UInt8])
    case end(HTTPFields?)
}

/// The request parser as the server drives it: turns parser events into ``ParsedStep``s and
/// works out keep-alive and `Expect: 100-continue` from each head.
struct RequestStreamParser {
    private var parser: HTTPRequestParser

    init(limits: HTTPParserLimits) {
        parser = HTTPRequestParser(limits: limits)
    }

    /// One step over `buffer`: what was found and how many bytes it used.
    mutating func next(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> (ParsedStep, Int) {
        let step = try parser.next(buffer)
        switch step.event {
        case .needMore:
            return (.needMore, step.consumed)
        case .body(let bytes):
            return (.body(Array(bytes)), step.consumed)
        case .end(let trailers):
            return (.end(trailers), step.consumed)
        case .head(let request):
            let version = parser.version
            let connection = request.headerFields[.connection]?.lowercased() ?? ""
            let keepAlive =
                version.minor == 0
                ? Self.lists(connection, "keep-alive") : !Self.lists(connection, "close")
            let expect = request.headerFields[.expect]?.lowercased() == "100-continue" && version.minor >= 1
            let head: InboundHead
            switch parser.framing {
            case .none, .untilClose:
                head = InboundHead(
                    request: request, version: version, contentLength: nil, hasBody: false,
                    keepAlive: keepAlive, expectsContinue: false)
            case .contentLength(let length):
                head = InboundHead(
                    request: request, version: version, contentLength: length, hasBody: length > 0,
                    keepAlive: keepAlive, expectsContinue: expect)
            case .chunked:
                head = InboundHead(
                    request: request, version: version, contentLength: nil, hasBody: true,
                    keepAlive: keepAlive, expectsContinue: expect)
            }
            return (.head(head), step.consumed)
        }
    }

    /// Whether the comma-separated `list` holds `token` (already lowercased).
    private static func lists(_ list: String, _ token: String) -> Bool {
        list.split(separator: ",").contains { $0.trimmingCharacters(in: " \t") == token }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return slice
    }
}
