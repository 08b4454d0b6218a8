/// The `Range: bytes=...` of a request (RFC 9110 §14.1.2), resolved against a file's size.
enum ByteRanges {
    /// What a `Range` field asks of a representation of `size` bytes.
    enum Outcome: Equatable {
        /// No usable range (absent, not `bytes`, malformed, or too many): send the whole.
        case whole
        /// These ranges, each `lower..<upper` inside the size, in the order asked.
        case ranges([Range<Int>])
        /// Well formed, but no range overlaps the representation: 416.
        case unsatisfiable
    }

    /// The most ranges one request may ask for; more are answered with the whole body.
    static let maxRanges = 16

    static func resolve(_ field: String?, size: Int) -> Outcome {
        guard let field else { return .whole }
        let trimmed = Substring(field).trimmed
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let specs = trimmed.dropFirst("bytes=".count).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count <= maxRanges else { return .whole }
        var ranges: [Range<Int>] = []
        for spec in specs {
            let text = spec.trimmed
            guard let dash = text.firstIndex(of: "-") else { return .whole }
            let first = text[..<dash]
            let last = text[text.index(after: dash)...]
            if first.isEmpty {
                // A suffix: the last n bytes.
                guard let count = Int(last), count >= 0, last.allSatisfy(\.isASCIIDigit) else { return .whole }
                if count > 0 && size > 0 { ranges.append(max(0, size - count)..<size) }
                continue
            }
            guard let start = Int(first), first.allSatisfy(\.isASCIIDigit) else { return .whole }
            var end = size - 1
            if !last.isEmpty {
                guard let value = Int(last), last.allSatisfy(\.isASCIIDigit), value >= start else { return .whole }
                end = min(value, size - 1)
            }
            if start < size { ranges.append(start..<(end + 1)) }
        }
        return ranges.isEmpty ? .unsatisfiable : .ranges(ranges)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
