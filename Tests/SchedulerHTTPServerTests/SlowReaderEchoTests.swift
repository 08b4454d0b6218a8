import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// Backpressure through the whole server, measured from outside it: `http-server` echoes a
/// 1 GiB upload to a client that reads at about 100 MB/s, and the server process's resident
/// memory stays within a few MiB of what it was after a warm-up echo (so the upload is taken
/// from the socket only as fast as the echo drains); the bytes back are the bytes sent.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SlowReaderEchoTests {
    /// 64 KiB of a fixed pseudo-random pattern; the upload is this again and again.
    static let block: [UInt8] = {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        return (0..<(64 << 10)).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }()

    @Test func aGibibyteEchoedToASlowReaderHoldsAFewMiB() throws {
        let program = try HTTPServerProgramTests.Program(arguments: ["--max-body", "\(1 << 30)"])
        defer { _ = program.stop() }
        let pid = program.process.processIdentifier
        // A warm-up echo touches the receive buffers and send queue once; the 1 GiB one is
        // measured against what the process holds after it.
        _ = try Self.echo(port: program.port, bytes: 32 << 20, readerBytesPerMillisecond: nil)
        let before = try #require(Self.residentKiB(pid))
        let peak = Atomic<Int>(before)
        let sampling = Atomic<Bool>(true)
        let sampler = Background {
            while sampling.load(ordering: .relaxed) {
                if let now = Self.residentKiB(pid), now > peak.load(ordering: .relaxed) {
                    peak.store(now, ordering: .relaxed)
                }
                usleep(20_000)
            }
        }
        let (sent, received) = try Self.echo(port: program.port, bytes: 1 << 30, readerBytesPerMillisecond: 100_000)
        sampling.store(false, ordering: .relaxed)
        try sampler.value()
        #expect(received == sent)
        let highest = peak.load(ordering: .relaxed)
        #expect(highest - before < 8 << 10, "VmRSS \(before) KiB before, peak \(highest) KiB during the echo")
    }

    /// POSTs `bytes` of the pattern to /echo from a thread of its own while reading the echo here,
    /// at most `readerBytesPerMillisecond` (nil: as fast as it comes); the hashes of what went
    /// and what came back.
    static func echo(port: UInt16, bytes: Int, readerBytesPerMillisecond: Int?) throws -> (Int, Int) {
        let client = try RawClient(port: port, timeout: 30)
        let head = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: \(bytes)\r\n\r\n"
        let sender = Background { () throws -> Int in
            try client.send(head)
            var hasher = Hasher()
            var left = bytes
            while left > 0 {
                let piece = Array(block[0..<min(left, block.count)])
                try client.send(piece)
                piece.withUnsafeBytes { hasher.combine(bytes: $0) }
                left -= piece.count
            }
            return hasher.finalize()
        }
        // The response head, then exactly `bytes` of body, hashed as they come.
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var pending: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            let n = recv(client.fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw RawClientError(description: "the echo ended before its head (errno \(errno))") }
            pending += buffer[0..<n]
            headEnd = pending.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound
        }
        let headText = String(decoding: pending[..<headEnd!], as: UTF8.self)
        guard headText.hasPrefix("HTTP/1.1 200") else { throw RawClientError(description: "echo answered \(headText)") }
        var hasher = Hasher()
        var received = pending.count - headEnd!
        pending[headEnd!...].withUnsafeBytes { hasher.combine(bytes: $0) }
        let start = ContinuousClock.now
        while received < bytes {
            let n = recv(client.fd, &buffer, min(buffer.count, bytes - received), 0)
            guard n > 0 else { throw RawClientError(description: "the echo ended after \(received) bytes") }
            buffer.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            received += n
            if let rate = readerBytesPerMillisecond {
                // Ahead of `rate`: wait until the clock catches up.
                let due = Duration.milliseconds(received / rate)
                let elapsed = ContinuousClock.now - start
                if due > elapsed { usleep(UInt32((due - elapsed) / .microseconds(1))) }
            }
        }
        return (try sender.value(), hasher.finalize())
    }

    /// VmRSS of process `pid` in KiB.
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }
}
