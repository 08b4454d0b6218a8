extension JSONStreamEncoder {
    /// The object container of the value being encoded (the same one when asked again).
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedWriter<Key>(encoder: self, frame: decide(.object)))
    }

    /// The array container of the value being encoded (the same one when asked again).
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedWriter(encoder: self, frame: decide(.array))
    }

    /// The single-value container of the value being encoded.
    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueWriter(encoder: self, frame: decide(.single))
    }

    /// Gives the innermost value being encoded its kind and writes its opening bracket; asking for
    /// another kind than it already has hands the value over (`JSONEncoder` traps there).
    private func decide(_ kind: Kind) -> (depth: Int, generation: Int) {
        guard !handOver, let depth = frames.lastIndex(where: { !$0.lazy }) else {
            handOver = true
            return (-1, 0)
        }
        closeLazy(above: depth)
        switch frames[depth].kind {
        case .undecided:
            frames[depth].kind = kind
            if kind == .object { bytes.append(UInt8(ascii: "{")) }
            if kind == .array { bytes.append(UInt8(ascii: "[")) }
        case kind where kind != .single:
            break
        default:
            handOver = true
        }
        return (depth, frames[depth].generation)
    }

    /// Starts member `key` of the object at `frame`: the comma, the key, the colon. False when the
    /// writer hands over (the key needs escaping, or the container may not write now).
    func beginMember(_ key: some CodingKey, frame: (depth: Int, generation: Int)) -> Bool {
        guard ready(depth: frame.depth, generation: frame.generation) else { return false }
        if frames[frame.depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frame.depth].count += 1
        let start = bytes.count
        guard writePlainKey(key.stringValue) else {
            handOver = true
            return false
        }
        marks.append(Mark(start: start, keyEnd: bytes.count - 2))
        return true
    }

    /// Starts the next element of the array at `frame` (its comma).
    func beginElement(frame: (depth: Int, generation: Int)) -> Bool {
        guard ready(depth: frame.depth, generation: frame.generation) else { return false }
        if frames[frame.depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frame.depth].count += 1
        return true
    }

    /// Starts the one value of the single-value container at `frame`; a second value hands over.
    func beginSingle(frame: (depth: Int, generation: Int)) -> Bool {
        guard ready(depth: frame.depth, generation: frame.generation), frames[frame.depth].count == 0 else {
            handOver = true
            return false
        }
        frames[frame.depth].count = 1
        return true
    }

    /// Encodes a non-scalar value under `key` in the coding path.
    func encodeNested<Value: Encodable>(_ value: Value, key: (any CodingKey)?) throws {
        if let key { path.append(key) }
        try encodeValue(value)
        if key != nil { path.removeLast() }
    }

    /// Opens a nested container's frame in the slot just begun, with `key` on its coding path.
    func openNested(_ kind: Kind, key: (any CodingKey)?) -> (depth: Int, generation: Int) {
        if let key { path.append(key) }
        bytes.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        // The frame owns the key: it leaves the path when the frame closes.
        return openLazy(kind, pathDepth: key == nil ? path.count : path.count - 1)
    }
}
