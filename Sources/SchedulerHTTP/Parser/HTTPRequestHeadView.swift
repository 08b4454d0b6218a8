import CSchedulerHTTPScan

/// A request head as the parser found it in the receive buffer, before any swift-http-types value
/// is built: the method, the target and each field line's name and value as byte spans (the
/// output llhttp's callbacks give). Every check of `HTTPRequestParser.next(_:)` has passed,
/// framing included. Valid only while the buffer given to `nextView(_:)` is unchanged and until
/// the parser's next step (the spans live in the parser, which reuses them).
public struct HTTPRequestHeadView {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    @usableFromInline let spans: UnsafePointer<FieldSpan>?
    // The start line's parts, 32-bit like the spans: a smaller view to hand back.
    let methodStart: Int32, methodEnd: Int32, targetStart: Int32, targetEnd: Int32

    /// The method token as sent.
    public var method: UnsafeRawBufferPointer { bytes(Int(methodStart), Int(methodEnd)) }
    /// The request target as sent (origin-form path and query, absolute-form, authority-form or `*`).
    public var target: UnsafeRawBufferPointer { bytes(Int(targetStart), Int(targetEnd)) }
    /// The number of field lines, Host included.
    public let fieldCount: Int
    /// The name of field line `index` as sent (any case).
    @inlinable public func fieldName(_ index: Int) -> UnsafeRawBufferPointer {
        let span = self.span(index)
        return bytes(Int(span.name_start), Int(span.name_end))
    }
    /// The value of field line `index`, without the whitespace around it.
    @inlinable public func fieldValue(_ index: Int) -> UnsafeRawBufferPointer {
        let span = self.span(index)
        return bytes(Int(span.value_start), Int(span.value_end))
    }

    @inline(__always)
    init(buffer: UnsafeRawBufferPointer, start: StartLine, spans: UnsafePointer<FieldSpan>?, count: Int) {
        self.buffer = buffer
        methodStart = Int32(truncatingIfNeeded: start.methodStart)
        methodEnd = Int32(truncatingIfNeeded: start.methodEnd)
        targetStart = Int32(truncatingIfNeeded: start.targetStart)
        targetEnd = Int32(truncatingIfNeeded: start.targetEnd)
        self.spans = spans
        self.fieldCount = count
    }

    @inlinable func span(_ index: Int) -> FieldSpan {
        precondition(index >= 0 && index < fieldCount, "field index out of range")
        return spans.unsafelyUnwrapped[index]
    }

    @inlinable func bytes(_ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[from..<to])
    }
}
