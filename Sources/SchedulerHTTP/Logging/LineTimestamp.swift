#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The current UTC time as `2026-12-05T09:20:31.123Z`, formatted by arithmetic: no
/// `localtime`, no `strftime`, no time zone file read per line.
enum LineTimestamp {
    /// Appends the current time to `line`; `monotonic`, when the caller has just read
    /// `CLOCK_MONOTONIC` (ns), saves reading the wall clock (see `wallClock(monotonic:)`).
    static func append<Sink: LineSink>(to line: inout Sink, monotonic: Int64? = nil) {
        let wall: Int64
        if let monotonic {
            wall = wallClock(monotonic: monotonic)
        } else {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            wall = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        }
        let seconds = wall >= 0 ? wall / 1_000_000_000 : (wall - 999_999_999) / 1_000_000_000
        append(seconds: seconds, milliseconds: Int((wall - seconds * 1_000_000_000) / 1_000_000), to: &line)
    }

    /// The wall clock (ns since the epoch) at the moment `CLOCK_MONOTONIC` read `monotonic`: the
    /// monotonic time plus their difference, read again once a second (so a wall clock set by
    /// hand shows within a second; NTP's slewing is far below a millisecond a second).
    static func wallClock(monotonic: Int64) -> Int64 {
        let anchor = offsetAnchor.load(ordering: .acquiring)
        if anchor != 0, monotonic >= anchor, monotonic - anchor < 1_000_000_000 {
            return monotonic + wallOffset.load(ordering: .relaxed)
        }
        var wall = timespec()
        var mono = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        clock_gettime(CLOCK_MONOTONIC, &mono)
        let monoNow = Int64(mono.tv_sec) * 1_000_000_000 + Int64(mono.tv_nsec)
        let offset = Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec) - monoNow
        // The offset first: a reader that sees the new anchor sees its offset.
        wallOffset.store(offset, ordering: .relaxed)
        offsetAnchor.store(monoNow, ordering: .releasing)
        return monotonic + offset
    }

    /// `CLOCK_MONOTONIC` (ns) when `wallOffset` was taken; 0: never.
    private static let offsetAnchor = Atomic<Int64>(0)
    /// `CLOCK_REALTIME` minus `CLOCK_MONOTONIC`, in ns.
    private static let wallOffset = Atomic<Int64>(0)

    /// Appends the time `seconds` after the Unix epoch (and `milliseconds`) to `line`.
    static func append<Sink: LineSink>(seconds: Int64, milliseconds: Int, to line: inout Sink) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = date(daysSinceEpoch: days)
        pair(year / 100, &line)
        pair(year % 100, &line)
        line.append(UInt8(ascii: "-"))
        pair(month, &line)
        line.append(UInt8(ascii: "-"))
        pair(day, &line)
        line.append(UInt8(ascii: "T"))
        pair(secondOfDay / 3600, &line)
        line.append(UInt8(ascii: ":"))
        pair(secondOfDay / 60 % 60, &line)
        line.append(UInt8(ascii: ":"))
        pair(secondOfDay % 60, &line)
        line.append(UInt8(ascii: "."))
        line.append(UInt8(ascii: "0") + UInt8(min(max(milliseconds, 0), 999) / 100))
        pair(milliseconds % 100, &line)
        line.append(UInt8(ascii: "Z"))
    }

    /// Year (0-9999), month and day of a day, through a one-word cache of the last day asked
    /// for: every line of a day shares it, so the calendar arithmetic runs once a day.
    private static func date(daysSinceEpoch days: Int64) -> (Int, Int, Int) {
        let cached = lastDate.load(ordering: .relaxed)
        if cached != 0, Int64(Int32(truncatingIfNeeded: cached >> 32)) == days {
            return (Int(cached >> 16 & 0xFFFF), Int(cached >> 8 & 0xFF), Int(cached & 0xFF))
        }
        let (fullYear, month, day) = civil(daysSinceEpoch: days)
        let year = Int(min(max(fullYear, 0), 9999))
        if (Int64(Int32.min)...Int64(Int32.max)).contains(days) {
            let packed = UInt64(UInt32(truncatingIfNeeded: days)) << 32 | UInt64(year) << 16 | UInt64(month) << 8
                | UInt64(day)
            lastDate.store(packed, ordering: .relaxed)
        }
        return (year, month, day)
    }

    /// Day since the epoch (high 32 bits), year, month and day of the last date formatted; 0: none.
    private static let lastDate = Atomic<UInt64>(0)

    /// "00" to "99".
    private static let pairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Appends `value` (0-99) as two digits.
    @inline(__always)
    private static func pair<Sink: LineSink>(_ value: Int, _ line: inout Sink) {
        let index = 2 * min(max(value, 0), 99)
        let table = pairs.utf8Start
        line.append(table[index])
        line.append(table[index + 1])
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
}
