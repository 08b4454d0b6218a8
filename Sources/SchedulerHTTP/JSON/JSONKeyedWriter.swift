/// An object's container: members are written as they are encoded.
struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONStreamEncoder
    let frame: (depth: Int, generation: Int)

    var codingPath: [any CodingKey] { encoder.path }

    mutating func encodeNil(forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeNull()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        try encoder.writeDouble(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        try encoder.writeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        guard encoder.beginMember(key, frame: frame) else { return }
        try encoder.encodeNested(value, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        guard encoder.beginMember(key, frame: frame) else { return KeyedEncodingContainer(JSONKeyedWriter<NestedKey>(encoder: encoder, frame: (-1, 0))) }
        return KeyedEncodingContainer(JSONKeyedWriter<NestedKey>(encoder: encoder, frame: encoder.openNested(.object, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        guard encoder.beginMember(key, frame: frame) else { return JSONUnkeyedWriter(encoder: encoder, frame: (-1, 0)) }
        return JSONUnkeyedWriter(encoder: encoder, frame: encoder.openNested(.array, key: key))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.handOver = true
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.handOver = true
        return encoder
    }
}
