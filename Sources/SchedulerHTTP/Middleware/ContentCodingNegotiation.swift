/// Picks a response content coding from a request's `Accept-Encoding` (RFC 9110 §12.5.3):
/// the supported coding with the highest q-value above 0, gzip before deflate on a tie.
/// A coding not listed takes the q of `*` if there is one, else it is not acceptable;
/// `q=0` refuses a coding.
enum ContentCodingNegotiation {
    static func choose(_ acceptEncoding: String?) -> Deflater.Format? {
        guard let acceptEncoding else { return nil }
        var weights: [String: Double] = [:]
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmed.lowercased()
            guard !coding.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmed.lowercased() == "q" else { continue }
                q = Double(pair[1].trimmed).map { min(max($0, 0), 1) } ?? 0
            }
            weights[coding == "x-gzip" ? "gzip" : coding] = q
        }
        let star = weights["*"] ?? 0
        let gzip = weights["gzip"] ?? star
        let deflate = weights["deflate"] ?? star
        if gzip > 0 && gzip >= deflate { return .gzip }
        if deflate > 0 { return .deflate }
        return nil
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    var trimmed: String {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
