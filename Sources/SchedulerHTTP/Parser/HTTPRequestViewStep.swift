/// What one `HTTPRequestParser.nextView(_:)` step found: `HTTPParserEvent` with the head as a
/// view and nothing in it to copy or release (after `.end`, a chunked body's trailer fields are
/// the parser's `trailers`).
public enum HTTPRequestViewEvent {
    /// A complete head, checked in full; its framing is in the parser's `framing`.
    case head(HTTPRequestHeadView)
    /// Body bytes (chunk framing removed), a slice of the buffer given.
    case body(UnsafeRawBufferPointer)
    /// The message is complete.
    case end
    /// The buffer holds no complete event: give the same unconsumed bytes again with more after them.
    case needMore
}

/// One `nextView(_:)` step: the event and how many bytes of the buffer it used.
public struct HTTPRequestViewStep {
    /// What was found.
    public var event: HTTPRequestViewEvent
    /// Bytes of the buffer used; the next step's buffer starts right after them.
    public var consumed: Int
}
