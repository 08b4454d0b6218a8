import HTTPTypes

/// How a response's body is framed on the wire.
enum ResponseFraming: Equatable {
    /// `Content-Length: n`.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// Neither: the body ends when the connection closes (HTTP/1.0 streams).
    case untilClose
}

/// Serializes a response head: status line, the handler's fields, `Date`, framing, `Connection`.
///
/// The head is built in one stack buffer sized from its parts and added to the output in one
/// copy (no growth check per piece).
enum ResponseHead {
    static func encode(
        status: HTTPResponse.Status, fields: HTTPFields, preset: PresetFields?, framing: ResponseFraming,
        keepAlive: Bool, version: HTTPVersion, date: [UInt8], into out: inout [UInt8]
    ) {
        // Most heads fit in 1 KiB on the stack; a longer one is written again where it fits.
        let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
            write(status, fields, preset, framing, keepAlive, version, date, into: buffer, appendingTo: &out)
        }
        if written { return }
        var bound = 115 + status.reasonPhrase.utf8.count
        for field in fields { bound += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            _ = write(status, fields, preset, framing, keepAlive, version, date, into: buffer, appendingTo: &out)
        }
    }

    /// Writes the head into `buffer` and appends it to `out`; false (nothing appended) when it
    /// did not fit.
    private static func write(
        _ status: HTTPResponse.Status, _ fields: HTTPFields, _ preset: PresetFields?, _ framing: ResponseFraming,
        _ keepAlive: Bool,
        _ version: HTTPVersion, _ date: [UInt8], into buffer: UnsafeMutableBufferPointer<UInt8>,
        appendingTo out: inout [UInt8]
    ) -> Bool {
        let code = status.code
        var head = HeadBytes(buffer)
        // RFC 9110 §6.2: a server sends the highest version it conforms to, also to 1.0 clients.
        if code == 200 && status.reasonPhrase == "OK" {
            head.write("HTTP/1.1 200 OK\r\n")
        } else {
            head.write("HTTP/1.1 ")
            head.writeDecimal(code)
            head.write(UInt8(ascii: " "))
            head.write(status.reasonPhrase)
            head.write("\r\n")
        }
        if let preset {
            head.write(preset.encoded)
        } else {
            writeFields(fields, code: code, into: &head)
        }
        head.write("Date: ")
        date.withUnsafeBytes { head.write($0) }
        head.write("\r\n")
        switch framing {
        case .length(let count):
            if !(code == 204 || code == 304 || status.kind == .informational) {
                head.write("Content-Length: ")
                head.writeDecimal(count)
                head.write("\r\n")
            }
        case .chunked:
            head.write("Transfer-Encoding: chunked\r\n")
        case .untilClose:
            break
        }
        if !keepAlive {
            head.write("Connection: close\r\n")
        } else if version.isHTTP10 {
            head.write("Connection: keep-alive\r\n")
        }
        head.write("\r\n")
        guard !head.overflowed else { return false }
        out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: head.count))
        return true
    }

    /// The handler's fields but those the server writes itself.
    private static func writeFields(_ fields: HTTPFields, code: Int, into head: inout HeadBytes) {
        for field in fields {
            // The framing fields are the server's (names compared only when the length matches).
            let name = field.name
            switch name.canonicalName.utf8.count {
            case 14 where name == .contentLength, 17 where name == .transferEncoding, 4 where name == .date:
                continue
            // A 101's `Connection: Upgrade` is the handler's; other answers get the server's.
            case 10 where code != 101 && name == .connection:
                continue
            default: break
            }
            head.write(name.rawName)
            head.write(": ")
            head.write(field.value)
            head.write("\r\n")
        }
    }

    /// `HTTP/1.1 100 Continue` and the blank line.
    static let continueHead: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if value == 0 { out.append(48); return }
        while shift >= 0 {
            out.append(hex[(value >> shift) & 15])
            shift -= 4
        }
    }

    static let crlf: [UInt8] = [13, 10]
}

extension HTTPVersion {
    /// HTTP/1.0, which has no chunked framing and closes by default.
    var isHTTP10: Bool { minor == 0 }
}

/// A response head being written into a buffer; what does not fit is dropped and noted.
private struct HeadBytes {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0
    /// Whether something did not fit.
    private(set) var overflowed = false

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
        capacity = buffer.count
    }

    /// Whether `extra` more bytes fit (noting when they do not).
    private mutating func fits(_ extra: Int) -> Bool {
        if count + extra <= capacity { return true }
        overflowed = true
        return false
    }

    mutating func write(_ byte: UInt8) {
        guard fits(1) else { return }
        base[count] = byte
        count += 1
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty, fits(bytes.count) else { return }
        (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    mutating func write(_ text: StaticString) {
        guard fits(text.utf8CodeUnitCount) else { return }
        (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    mutating func write(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { write(UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in text.utf8 { write(byte) } }
    }

    /// `value` (not negative) in decimal.
    mutating func writeDecimal(_ value: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        guard fits(digits) else { return }
        rest = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            base[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
            rest /= 10
        }
        count += digits
    }
}
