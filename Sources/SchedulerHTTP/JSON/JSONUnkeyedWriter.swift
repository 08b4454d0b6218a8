/// An array's container: elements are written as they are encoded.
struct JSONUnkeyedWriter: UnkeyedEncodingContainer {
    let encoder: JSONStreamEncoder
    let frame: (depth: Int, generation: Int)
    private(set) var count = 0

    init(encoder: JSONStreamEncoder, frame: (depth: Int, generation: Int)) {
        self.encoder = encoder
        self.frame = frame
    }

    var codingPath: [any CodingKey] { encoder.path }

    mutating func encodeNil() throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        try encoder.writeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        try encoder.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int8) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int16) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int32) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int64) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt8) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt16) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt32) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt64) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        encoder.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        guard encoder.beginElement(frame: frame) else { return }
        count += 1
        try encoder.encodeNested(value, key: JSONIndexKey(index: count - 1))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        guard encoder.beginElement(frame: frame) else { return KeyedEncodingContainer(JSONKeyedWriter<NestedKey>(encoder: encoder, frame: (-1, 0))) }
        count += 1
        return KeyedEncodingContainer(
            JSONKeyedWriter<NestedKey>(encoder: encoder, frame: encoder.openNested(.object, key: JSONIndexKey(index: count - 1))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        guard encoder.beginElement(frame: frame) else { return JSONUnkeyedWriter(encoder: encoder, frame: (-1, 0)) }
        count += 1
        return JSONUnkeyedWriter(encoder: encoder, frame: encoder.openNested(.array, key: JSONIndexKey(index: count - 1)))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.handOver = true
        return encoder
    }
}

/// An array element's place in a coding path.
struct JSONIndexKey: CodingKey {
    let index: Int
    init(index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
}
