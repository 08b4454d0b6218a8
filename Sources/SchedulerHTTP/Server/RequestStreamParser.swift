import HTTPTypes

/// What the connection driver gets from one parse step.
enum ParsedStep {
    case needMore
    case head(InboundHead)
    case body([UInt8])
    case end(HTTPFields?)
}

/// The request parser as the server drives it: turns parser events into ``ParsedStep``s,
/// with each head's framing, keep-alive and `Expect: 100-continue` worked out.
struct RequestStreamParser {
    private var parser: HTTPRequestParser

    init(limits: HTTPParserLimits) {
        parser = HTTPRequestParser(limits: limits)
    }

    /// Lets go of the head kept for reuse (a parked connection gives its memory back).
    mutating func releaseSpareHead() { parser.spareHead = nil }

    /// One step over `buffer`: what was found and how many bytes it used.
    mutating func next(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> (ParsedStep, Int) {
        let step = try parser.nextLazy(buffer)
        switch step.event {
        case .needMore:
            return (.needMore, step.consumed)
        case .body(let bytes):
            return (.body(Array(bytes)), step.consumed)
        case .end(let trailers):
            return (.end(trailers), step.consumed)
        case .head(let request):
            var head = InboundHead(
                request: request, method: request.method, version: parser.version, contentLength: nil, hasBody: false,
                keepAlive: parser.keepAlive, expectsContinue: false)
            switch parser.framing {
            case .none, .untilClose:
                break
            case .contentLength(let length):
                head.contentLength = length
                head.hasBody = length > 0
            case .chunked:
                head.hasBody = true
            }
            head.expectsContinue = head.hasBody && parser.expectsContinue
            return (.head(head), step.consumed)
        }
    }
}
