extension JSONStreamEncoder {
    /// `null`.
    func writeNull() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    /// `true` or `false`.
    func writeBool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
    }

    /// An integer in decimal.
    func writeInteger<Value: FixedWidthInteger>(_ value: Value) {
        if Value.isSigned, value < 0 {
            bytes.append(UInt8(ascii: "-"))
            writeMagnitude(UInt64(value.magnitude))
        } else {
            writeMagnitude(UInt64(value))
        }
    }

    /// The decimal digits of `value`.
    private func writeMagnitude(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(truncatingIfNeeded: value) &+ UInt8(ascii: "0"))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// A finite `Double` in Swift's shortest form without a trailing `.0`, as `JSONEncoder`
    /// writes it; a non-finite one hands over (`JSONEncoder` throws for it).
    func writeDouble(_ value: Double) throws {
        guard value.isFinite else { throw handOverNow() }
        writeNumberText(value.description)
    }

    /// A finite `Float`, as `writeDouble`.
    func writeFloat(_ value: Float) throws {
        guard value.isFinite else { throw handOverNow() }
        writeNumberText(value.description)
    }

    private func writeNumberText(_ text: String) {
        let utf8 = text.utf8
        if utf8.count > 2, text.hasSuffix(".0") {
            bytes.append(contentsOf: utf8.dropLast(2))
        } else {
            bytes.append(contentsOf: utf8)
        }
    }

    /// A JSON string: quotes, `"` `\` and control characters escaped (`\b \f \n \r \t`, else
    /// `\u00xx`), everything else (`/` and non-ASCII included) as it is.
    func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var plainFrom = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if plainFrom < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom..<index])) }
                writeEscape(byte)
                plainFrom = index + 1
            }
            if plainFrom < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private func writeEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }

    /// `"key":` for a key that needs no escaping; false (nothing written) for one that does.
    func writePlainKey(_ key: String) -> Bool {
        var key = key
        let plain = key.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
            return true
        }
        return plain
    }
}
