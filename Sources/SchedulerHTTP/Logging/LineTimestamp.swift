#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The current UTC time as `2026-12-05T09:20:31.123Z`, formatted by arithmetic: no
/// `localtime`, no `strftime`, no time zone file read per line.
enum LineTimestamp {
    /// Appends the current time to `line`.
    static func append<Sink: LineSink>(to line: inout Sink) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        append(seconds: Int64(now.tv_sec), milliseconds: Int(now.tv_nsec / 1_000_000), to: &line)
    }

    /// Appends the time `seconds` after the Unix epoch (and `milliseconds`) to `line`.
    static func append<Sink: LineSink>(seconds: Int64, milliseconds: Int, to line: inout Sink) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(daysSinceEpoch: days)
        digits(Int(year), 4, &line)
        line.append(UInt8(ascii: "-"))
        digits(month, 2, &line)
        line.append(UInt8(ascii: "-"))
        digits(day, 2, &line)
        line.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2, &line)
        line.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2, &line)
        line.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2, &line)
        line.append(UInt8(ascii: "."))
        digits(milliseconds, 3, &line)
        line.append(UInt8(ascii: "Z"))
    }

    /// Year, month and day of the proleptic Gregorian calendar (Howard Hinnant's days-to-civil).
    static func civil(daysSinceEpoch: Int64) -> (Int64, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits<Sink: LineSink>(_ value: Int, _ count: Int, _ line: inout Sink) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = max(0, value)
        while divisor > 0 {
            line.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
