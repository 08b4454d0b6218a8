import Foundation

/// The one-pass JSON writer behind `JSONBytesEncoder`: one `Encoder` object for every level, a stack
/// of open frames (one per value being encoded or nested container), and the output bytes.
final class JSONStreamEncoder: Encoder {
    /// What a frame's value turned out to be.
    enum Kind: UInt8 {
        case undecided, object, array, single
    }

    /// A value being written: an `encode(to:)` call in progress, or a nested container (`lazy`,
    /// closed when its parent writes again or its parent's `encode(to:)` returns).
    struct Frame {
        var kind: Kind
        let lazy: Bool
        let generation: Int
        var count: Int
        let markBase: Int
        let pathDepth: Int
    }

    /// Where one member of an open object sits in `bytes`: from its key's opening quote, the key's
    /// bytes end before `keyEnd`'s closing quote.
    struct Mark {
        let start: Int
        let keyEnd: Int
    }

    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) var frames: [Frame] = []
    @exclusivity(unchecked) var marks: [Mark] = []
    @exclusivity(unchecked) var path: [any CodingKey] = []
    @exclusivity(unchecked) var generation = 0
    /// Reused by `sortMembers`.
    @exclusivity(unchecked) var scratchBytes: [UInt8] = []
    @exclusivity(unchecked) var scratchOrder: [Int] = []
    // The writer is used by one thread at a time, inside one `encode` call: no dynamic
    // exclusivity checks on its state.
    /// Set when the value used the `Encoder` protocol in a way this writer does not follow in one
    /// pass, or would make `JSONEncoder` throw: the caller then asks `JSONEncoder`.
    @exclusivity(unchecked) var handOver = false

    init() {
        bytes.reserveCapacity(64)
    }

    var codingPath: [any CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Writes `value` as the whole document; false when `JSONEncoder` has to do it.
    func encodeTopLevel<Value: Encodable>(_ value: Value) -> Bool {
        do {
            try encodeValue(value)
        } catch {
            return false
        }
        return !handOver && frames.isEmpty
    }

    // MARK: Frames

    /// Encodes a value that is not a JSON scalar in the slot the caller has opened.
    func encodeValue<Value: Encodable>(_ value: Value) throws {
        if Value.self == Data.self || Value.self == URL.self || Value.self == Decimal.self || Value.self == Date.self {
            try encodeSpecial(value)
            return
        }
        let depth = frames.count
        generation &+= 1
        frames.append(Frame(kind: .undecided, lazy: false, generation: generation, count: 0, markBase: marks.count, pathDepth: path.count))
        try value.encode(to: self)
        guard !handOver else { throw JSONHandOver() }
        closeLazy(above: depth)
        guard frames.count == depth + 1 else { throw handOverNow() }
        switch frames[depth].kind {
        case .undecided:
            // JSONEncoder writes an empty object for a nested value that encoded nothing, and
            // throws for a top-level one.
            guard depth > 0 else { throw handOverNow() }
            bytes.append(UInt8(ascii: "{"))
            bytes.append(UInt8(ascii: "}"))
            frames.removeLast()
        case .single:
            guard frames[depth].count == 1 else { throw handOverNow() }
            frames.removeLast()
        case .object, .array:
            closeTop()
        }
    }

    /// Data as base64, URL as its absolute string, Decimal as a number, Date as seconds since 2001:
    /// the forms `JSONEncoder`'s default strategies give.
    private func encodeSpecial<Value: Encodable>(_ value: Value) throws {
        if let data = value as? Data {
            writeString(data.base64EncodedString())
        } else if let url = value as? URL {
            writeString(url.absoluteString)
        } else if let decimal = value as? Decimal {
            bytes.append(contentsOf: decimal.description.utf8)
        } else if let date = value as? Date {
            try writeDouble(date.timeIntervalSinceReferenceDate)
        }
    }

    /// Marks the encoding as one for `JSONEncoder` and returns the error that unwinds to the top.
    func handOverNow() -> JSONHandOver {
        handOver = true
        return JSONHandOver()
    }

    /// Opens a nested container's frame (`kind` decided) whose first byte the caller has written.
    func openLazy(_ kind: Kind, pathDepth: Int) -> (depth: Int, generation: Int) {
        generation &+= 1
        frames.append(Frame(kind: kind, lazy: true, generation: generation, count: 0, markBase: marks.count, pathDepth: pathDepth))
        return (frames.count - 1, generation)
    }

    /// Closes the nested containers above `depth` (their owners wrote no more into them).
    func closeLazy(above depth: Int) {
        while frames.count > depth + 1, frames[frames.count - 1].lazy { closeTop() }
    }

    /// Closes the top frame, an object or array: sorts an object's members, writes the bracket.
    func closeTop() {
        let frame = frames.removeLast()
        if frame.kind == .object {
            sortMembers(from: frame.markBase)
            marks.removeSubrange(frame.markBase...)
            bytes.append(UInt8(ascii: "}"))
        } else {
            bytes.append(UInt8(ascii: "]"))
        }
        path.removeSubrange(frame.pathDepth...)
    }

    /// Whether a container made for frame `depth` of `generation` may write now; closes the nested
    /// containers above it first. False (and hand-over) when the frame is gone or below another
    /// value still being encoded.
    func ready(depth: Int, generation: Int) -> Bool {
        guard !handOver else { return false }
        closeLazy(above: depth)
        guard frames.count == depth + 1, frames[depth].generation == generation else {
            handOver = true
            return false
        }
        return true
    }
}

/// Thrown inside the one-pass writer to unwind to the top, where `JSONEncoder` takes over.
struct JSONHandOver: Error {}
