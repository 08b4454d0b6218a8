import Glibc

/// The `Date` header value (RFC 9110 IMF-fixdate), formatted at most once a second per cache.
///
/// Each connection keeps its own cache, so no lock is shared between loops.
struct HTTPDateCache {
    private var second: Int = -1
    private(set) var bytes: [UInt8] = []

    /// The current date as `Sun, 06 Nov 1994 08:49:37 GMT`.
    mutating func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            bytes = HTTPDateCache.formatBytes(now)
        }
        return bytes
    }

    /// The IMF-fixdate's 29 bytes, written straight into one array (a new connection's first
    /// response formats it: no string interpolation per connection).
    static func formatBytes(_ seconds: Int) -> [UInt8] {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        let days: StaticString = "SunMonTueWedThuFriSat"
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        let year = Int(parts.tm_year) + 1900
        return [UInt8](unsafeUninitializedCapacity: 29) { out, count in
            func name(_ table: StaticString, _ index: Int32, at offset: Int) {
                let start = table.utf8Start + 3 * Int(min(max(index, 0), Int32(table.utf8CodeUnitCount / 3 - 1)))
                for i in 0..<3 { out[offset + i] = start[i] }
            }
            func digits(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for i in stride(from: width - 1, through: 0, by: -1) {
                    out[offset + i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            name(days, parts.tm_wday, at: 0)
            out[3] = UInt8(ascii: ",")
            out[4] = UInt8(ascii: " ")
            digits(Int(parts.tm_mday), 2, at: 5)
            out[7] = UInt8(ascii: " ")
            name(months, parts.tm_mon, at: 8)
            out[11] = UInt8(ascii: " ")
            digits(min(max(year, 0), 9999), 4, at: 12)
            out[16] = UInt8(ascii: " ")
            digits(Int(parts.tm_hour), 2, at: 17)
            out[19] = UInt8(ascii: ":")
            digits(Int(parts.tm_min), 2, at: 20)
            out[22] = UInt8(ascii: ":")
            digits(Int(parts.tm_sec), 2, at: 23)
            for (i, byte) in " GMT".utf8.enumerated() { out[25 + i] = byte }
            count = 29
        }
    }

    /// Formats seconds since the epoch as an IMF-fixdate.
    static func format(_ seconds: Int) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
