/// A single value's container: the value is written in the slot its owner opened.
struct JSONSingleValueWriter: SingleValueEncodingContainer {
    let encoder: JSONStreamEncoder
    let frame: (depth: Int, generation: Int)

    var codingPath: [any CodingKey] { encoder.path }

    mutating func encodeNil() throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        try encoder.writeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        try encoder.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int8) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int16) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int32) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: Int64) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt8) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt16) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt32) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode(_ value: UInt64) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        encoder.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        guard encoder.beginSingle(frame: frame) else { return }
        try encoder.encodeNested(value, key: nil)
    }
}
