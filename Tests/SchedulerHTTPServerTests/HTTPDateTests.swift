import Foundation
import Testing
@testable import SchedulerHTTP

/// The `Date` header's bytes, written without strings, say what RFC 9110's IMF-fixdate says.
@Suite struct HTTPDateTests {
    @Test func knownDates() {
        #expect(String(decoding: HTTPDateCache.formatBytes(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: HTTPDateCache.formatBytes(0), as: UTF8.self) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(String(decoding: HTTPDateCache.formatBytes(951_825_599), as: UTF8.self) == "Tue, 29 Feb 2000 11:59:59 GMT")
    }

    /// Against Foundation's formatter with the RFC's pattern, over 40 years of random seconds.
    @Test func matchesFoundationOverManyDates() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Int.random(in: 0..<2_000_000_000, using: &generator)
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(String(decoding: HTTPDateCache.formatBytes(seconds), as: UTF8.self) == expected, "\(seconds)")
        }
    }
}
