import Glibc
import SchedulerHTTP
import TestSupport
import Testing

/// Clients that keep a connection busy by sending slowly: a head trickled byte by byte is cut at
/// the header timeout, counted from the connection's start and not from its last byte, and a
/// body trickled below the minimum receive rate is cut once the grace period is spent, while a
/// body that arrives fast enough is read whole.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SlowlorisTests {
    /// Sends `text` a few bytes at a time, `pause` apart, until it is all sent or a send fails
    /// (the server cut the connection); how much went.
    static func trickle(_ client: RawClient, _ text: String, bytes: Int, pause: useconds_t) -> Background<Int> {
        Background {
            let all = Array(text.utf8)
            var sent = 0
            while sent < all.count {
                let piece = Array(all[sent..<min(sent + bytes, all.count)])
                guard (try? client.send(piece)) != nil else { break }
                sent += piece.count
                usleep(pause)
            }
            return sent
        }
    }

    @Test func aHeadTrickledByteByByteIsCutAtTheHeaderTimeout() async throws {
        try await withServer(configure: { $0.headerTimeout = .milliseconds(400) }) { port in
            let client = try RawClient(port: port)
            // One byte every 20 ms: a 4 KiB head would take 80 s.
            let head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + String(repeating: "a", count: 4096) + "\r\n\r\n"
            let start = ContinuousClock.now
            let sender = Self.trickle(client, head, bytes: 1, pause: 20_000)
            #expect(client.readsEndOfStream())
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(350) && waited < .seconds(3), "cut after \(waited)")
            #expect(try sender.value() < 4096)
        }
    }

    @Test func aBodyTrickledBelowTheMinimumRateIsCutAfterTheGrace() async throws {
        try await withServer(configure: {
            $0.headerTimeout = .seconds(10)
            $0.minimumBodyRate = 1000
            $0.bodyRateGrace = .milliseconds(300)
        }) { port in
            let client = try RawClient(port: port)
            try client.send("POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 10000\r\n\r\n")
            // 5 bytes every 20 ms: 250 bytes/s, a quarter of the minimum.
            let start = ContinuousClock.now
            let sender = Self.trickle(client, String(repeating: "b", count: 10000), bytes: 5, pause: 20_000)
            #expect(client.readsEndOfStream())
            let waited = ContinuousClock.now - start
            // The grace, plus what the bytes so far bought (about 0.1 s), plus a sweep or two.
            #expect(waited >= .milliseconds(300) && waited < .seconds(3), "cut after \(waited)")
            #expect(try sender.value() < 10000)
        }
    }

    @Test func aBodyAboveTheMinimumRateIsReadWhole() async throws {
        try await withServer(configure: {
            $0.minimumBodyRate = 1000
            $0.bodyRateGrace = .milliseconds(300)
        }) { port in
            let client = try RawClient(port: port)
            try client.send("POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 10000\r\n\r\n")
            // 200 bytes every 20 ms: 10,000 bytes/s, ten times the minimum, for about a second.
            let sender = Self.trickle(client, String(repeating: "c", count: 10000), bytes: 200, pause: 20_000)
            #expect(try client.readResponse().text == "10000")
            #expect(try sender.value() == 10000)
        }
    }
}
