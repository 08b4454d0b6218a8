/// Parsing and printing of address text, with the strictness of Python's `ipaddress`.
enum AddressText {
    /// Parses exactly four decimal octets, each 0...255 without leading zeros.
    static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var index = text.startIndex
        while true {
            let start = index
            var octet: UInt32 = 0
            while index < text.endIndex, let digit = decimalDigit(text[index]) {
                octet = octet * 10 + UInt32(digit)
                index += 1
                if index - start > 3 { return nil }
            }
            let length = index - start
            guard length > 0, octet <= 255 else { return nil }
            if length > 1 && text[start] == UInt8(ascii: "0") { return nil }
            value = value << 8 | octet
            octets += 1
            if octets == 4 { return index == text.endIndex ? value : nil }
            guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return nil }
            index += 1
        }
    }

    /// Parses every RFC 4291 text form: full, `::`-compressed, and with a trailing dotted quad.
    static func parseIPv6(_ text: ArraySlice<UInt8>) -> UInt128? {
        // Split on ':' the way the RFC grammar reads it: groups, with at most one empty run "::".
        var groups: [UInt16] = []
        var gapAt: Int? = nil
        var index = text.startIndex
        let end = text.endIndex
        guard index < end else { return nil }
        if text[index] == UInt8(ascii: ":") {
            guard index + 1 < end, text[index + 1] == UInt8(ascii: ":") else { return nil }
            gapAt = 0
            index += 2
            if index == end { return 0 }
        }
        while true {
            // One group: up to four hex digits, or a dotted quad as the last two groups.
            let start = index
            var group: UInt32 = 0
            while index < end, let digit = hexDigit(text[index]) {
                group = group << 4 | UInt32(digit)
                index += 1
                if index - start > 4 { break }
            }
            if index < end, text[index] == UInt8(ascii: ".") {
                guard groups.count <= 6, let quad = parseIPv4(text[start..<end]) else { return nil }
                groups.append(UInt16(quad >> 16))
                groups.append(UInt16(truncatingIfNeeded: quad))
                index = end
                break
            }
            let length = index - start
            guard length >= 1, length <= 4 else { return nil }
            groups.append(UInt16(group))
            if index == end { break }
            guard text[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < end, text[index] == UInt8(ascii: ":") {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                index += 1
                if index == end { break }
            } else if index == end {
                return nil  // a single trailing ':'
            }
            if groups.count > 8 { return nil }
        }
        if let gapAt {
            // "::" stands for one or more zero groups (RFC 4291 2.2, RFC 5952 4.2.2 allows one).
            guard groups.count <= 7 else { return nil }
            let zeros = [UInt16](repeating: 0, count: 8 - groups.count)
            groups.insert(contentsOf: zeros, at: gapAt)
        }
        guard groups.count == 8 else { return nil }
        var value: UInt128 = 0
        for group in groups { value = value << 16 | UInt128(group) }
        return value
    }

    /// Dotted-quad text of a 32-bit value.
    static func formatIPv4(_ value: UInt32) -> String {
        var text = ""
        for shift in [24, 16, 8, 0] {
            if shift != 24 { text += "." }
            text += decimal(UInt64(value >> UInt32(shift) & 0xFF))
        }
        return text
    }

    /// RFC 5952 text: lowercase, no leading zeros, the longest (first) run of two or more zero
    /// groups as "::", and IPv4-mapped addresses (::ffff:0:0/96) with a dotted quad (section 5).
    static func formatIPv6(_ value: UInt128) -> String {
        if value >> 32 == 0xFFFF {
            return "::ffff:" + formatIPv4(UInt32(truncatingIfNeeded: value))
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for index in 0..<8 {
            groups[index] = UInt16(truncatingIfNeeded: value >> UInt128(16 * (7 - index)))
        }
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        var text = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += hex(UInt64(groups[index]))
            index += 1
        }
        return text
    }

    /// Decimal text of an unsigned integer.
    static func decimal(_ value: UInt64) -> String {
        if value == 0 { return "0" }
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Lowercase hexadecimal text of an unsigned integer, without leading zeros.
    static func hex(_ value: UInt64) -> String {
        if value == 0 { return "0" }
        let alphabet = Array("0123456789abcdef".utf8)
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 {
            digits.append(alphabet[Int(rest & 0xF)])
            rest >>= 4
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Parses a non-empty run of ASCII decimal digits (leading zeros allowed) up to `limit`.
    static func parseDecimal(_ text: ArraySlice<UInt8>, limit: UInt64) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard let digit = decimalDigit(byte) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = product + UInt64(digit)
            guard value <= limit else { return nil }
        }
        return value
    }

    static func decimalDigit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
