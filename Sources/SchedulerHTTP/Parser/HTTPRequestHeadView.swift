/// A request head as the parser found it in the receive buffer, before any swift-http-types value
/// is built: the method, the target and each field line's name and value as byte spans (the
/// output llhttp's callbacks give). Every check of `HTTPRequestParser.next(_:)` has passed,
/// framing included. Valid only while the buffer given to `nextView(_:)` is unchanged.
public struct HTTPRequestHeadView {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    let start: StartLine
    @usableFromInline let spans: FieldSpans

    /// The method token as sent.
    public var method: UnsafeRawBufferPointer { bytes(start.methodStart, start.methodEnd) }
    /// The request target as sent (origin-form path and query, absolute-form, authority-form or `*`).
    public var target: UnsafeRawBufferPointer { bytes(start.targetStart, start.targetEnd) }
    /// The number of field lines, Host included.
    @inlinable public var fieldCount: Int { spans.count }
    /// The name of field line `index` as sent (any case).
    @inlinable public func fieldName(_ index: Int) -> UnsafeRawBufferPointer {
        bytes(spans[index].nameStart, spans[index].nameEnd)
    }
    /// The value of field line `index`, without the whitespace around it.
    @inlinable public func fieldValue(_ index: Int) -> UnsafeRawBufferPointer {
        bytes(spans[index].valueStart, spans[index].valueEnd)
    }

    @inlinable func bytes(_ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[from..<to])
    }
}
