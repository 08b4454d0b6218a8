import CZlib
import Foundation
import SchedulerHTTP
import Testing

/// What a streaming handler saw of one message: its size, CRC-32, largest chunk, chunk flags.
struct ChunkTally {
    var size = 0
    var crc: UInt = 0
    var largest = 0
    var chunks = 0
    var flagsRight = true

    /// Adds `chunk`; at a message's end, the summary to send back ("kind size crc largest flags").
    mutating func add(_ chunk: WebSocketChunk) -> String? {
        flagsRight = flagsRight && chunk.isFirst == (chunks == 0)
        chunks += 1
        size += chunk.bytes.count
        largest = max(largest, chunk.bytes.count)
        crc = chunk.bytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
        guard chunk.isFinal else { return nil }
        defer { self = ChunkTally() }
        return "\(chunk.kind) \(size) \(crc) \(largest) \(flagsRight)"
    }
}

/// A loop-thread handler that streams: a tally per message, sent back when it ends.
final class LoopTally: WebSocketLoopHandler {
    let writer: WebSocketLoopWriter
    var tally = ChunkTally()
    init(_ writer: WebSocketLoopWriter) { self.writer = writer }
    var streamsMessages: Bool { true }
    func received(_ chunk: WebSocketChunk) {
        if let summary = tally.add(chunk) { try? writer.send(text: summary) }
    }
    func received(_ message: WebSocketMessage) { try? writer.send(text: "a whole message") }
}

/// Messages streamed in chunks as they arrive (`WebSocket.chunks`, and a loop handler with
/// `streamsMessages`), with messages far over the buffered limit sent over a real socket.
/// Nested in ``WebSocketServerTests`` to share its serialization: their raw clients block a
/// cooperative thread each, and two suites blocking at once starve a two-core machine's pool.
extension WebSocketServerTests {
    @Suite struct Streaming {
        /// Buffered messages are limited to 1 MiB; streamed ones to 256 MiB (`/small`: 2 MiB).
        static func withServer(_ body: (UInt16) async throws -> Void) async throws {
            var router = HTTPRouter()
            for (prefix, streamed) in [("", 256 << 20), ("/small", 2 << 20)] {
                let configuration = WebSocketConfiguration(
                    maxMessageSize: 1 << 20, compression: WebSocketCompression(), maxStreamedMessageSize: streamed)
                try router.webSocket("\(prefix)/async", configuration: configuration) { socket, _, _ in
                    var tally = ChunkTally()
                    for try await chunk in socket.chunks {
                        if let summary = tally.add(chunk) { try await socket.send(text: summary) }
                    }
                }
                try router.webSocket(
                    "\(prefix)/loop", configuration: configuration,
                    handlers: { writer, _, _ in
                        LoopTally(writer)
                    })
            }
            try await withResponder(router, body)
        }

        static func open(_ port: UInt16, _ path: String, extra: [String] = []) throws -> RawWebSocketClient {
            let client = try RawWebSocketClient(port: port)
            let head = try client.handshake(path: path, extra: extra)
            guard head.hasPrefix("HTTP/1.1 101 ") else { throw RawClientError(description: "no 101: \(head)") }
            return client
        }

        /// The head of a client frame of `length` bytes masked with a zero key (so the payload goes as it is).
        static func head(_ first: UInt8, _ length: Int) -> [UInt8] {
            [first, 0x80 | 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) } + [
                0, 0, 0, 0,
            ]
        }

        /// Sends `blocks` blocks of 1 MiB, each numbered, as payload; returns their CRC-32.
        static func sendBlocks(_ client: RawWebSocketClient, _ blocks: Int, crc: UInt = 0) throws -> UInt {
            var crc = crc
            var block = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            for index in 0..<blocks {
                for byte in 0..<8 { block[byte] = UInt8(truncatingIfNeeded: index >> (byte * 8)) }
                crc = block.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
                try client.send(block)
            }
            return crc
        }

        /// The next frame as words (a summary is 5 of them; a close frame is not).
        static func summary(_ client: RawWebSocketClient) throws -> [String] {
            guard let frame = try client.readFrame() else { return ["end of stream"] }
            let payload = frame.rsv1 ? WebSocketServerTests.rawInflate(frame.payload) : frame.payload
            let text = String(decoding: payload.dropFirst(frame.opcode == 8 ? 2 : 0), as: UTF8.self)
            return (frame.opcode == 1 ? [] : ["opcode \(frame.opcode) \(frame.closeCode ?? 0)"])
                + text.split(separator: " ").map(String.init)
        }

        /// A blocking client run on a thread of its own: a long send must not hold a cooperative thread.
        static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
            }
        }

        @Test(arguments: ["/async", "/loop"])
        func a128MiBMessageInOneFrameArrivesInSmallChunks(path: String) async throws {
            try await Self.withServer { port in
                let (crc, summary, after) = try await Self.offPool {
                    let client = try Self.open(port, path)
                    try client.send(Self.head(0x82, 128 << 20))
                    let crc = try Self.sendBlocks(client, 128)
                    let summary = try Self.summary(client)
                    // The socket goes on: a small message after the huge one.
                    try client.sendFrame(0x81, Array("ok".utf8))
                    return (crc, summary, try Self.summary(client))
                }
                try #require(summary.count == 5, "\(summary)")
                #expect(summary[0] == "binary" && summary[1] == "\(128 << 20)" && summary[2] == "\(crc)")
                // Never the whole message, nor even a whole 1 MiB block: what one receive brought.
                let largest = try #require(Int(summary[3]))
                #expect(largest > 0 && largest <= 256 << 10, "largest chunk \(largest)")
                #expect(summary[4] == "true")
                #expect(after.prefix(2) == ["text", "2"])
            }
        }

        @Test(arguments: ["/async", "/loop"])
        func fragmentedTextWithCharactersSplitAcrossFramesIsValidatedAsItComes(path: String) async throws {
            try await Self.withServer { port in
                let text = Array(String(repeating: "κόσμε 𝄞 € ", count: 100_000).utf8)  // 2.1 MB
                var crc: UInt = 0
                crc = text.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
                // Cut inside characters: 1 MiB + 1, then 3 bytes, then the rest.
                let cuts = [0, (1 << 20) + 1, (1 << 20) + 4, text.count]
                let summary = try await Self.offPool {
                    let client = try Self.open(port, path)
                    for index in 0..<3 {
                        let first: UInt8 = (index == 0 ? 0x01 : 0x00) | (index == 2 ? 0x80 : 0)
                        try client.send(
                            Self.head(first, cuts[index + 1] - cuts[index]) + text[cuts[index]..<cuts[index + 1]])
                    }
                    return try Self.summary(client)
                }
                try #require(summary.count == 5, "\(summary)")
                #expect(summary[0] == "text" && summary[1] == "\(text.count)" && summary[2] == "\(crc)")
            }
        }

        @Test(arguments: ["/async", "/loop"])
        func invalidUTF8FailsWith1007BeforeTheMessageEnds(path: String) async throws {
            try await Self.withServer { port in
                let client = try Self.open(port, path)
                // A 64 MiB text frame whose first kilobyte holds a surrogate: failed on what came.
                try client.send(Self.head(0x81, 64 << 20) + [UInt8](repeating: 0x61, count: 1000) + [0xED, 0xA0, 0x80])
                try WebSocketServerTests.expectClose(client, 1007)
            }
        }

        @Test(arguments: ["/small/async", "/small/loop"])
        func aStreamedMessageOverItsOwnLimitGets1009(path: String) async throws {
            try await Self.withServer { port in
                let client = try Self.open(port, path)
                // 1.5 MiB streams (over the buffered limit, under the streamed one)...
                try client.send(Self.head(0x82, 3 << 19))
                _ = try Self.sendBlocks(client, 1)
                try client.send([UInt8](repeating: 1, count: 1 << 19))
                #expect(try Self.summary(client).dropFirst().first == "\(3 << 19)")
                // ...a fragment taking a message past 2 MiB does not.
                try client.send(Self.head(0x02, 1 << 20) + [UInt8](repeating: 2, count: 1 << 20))
                try client.send(Self.head(0x80, (1 << 20) + 1))
                try WebSocketServerTests.expectClose(client, 1009)
            }
        }

        @Test(arguments: ["/async", "/loop"])
        func aCompressedMessageInflatesInBoundedChunks(path: String) async throws {
            try await Self.withServer { port in
                // 8 MiB that compress about 1000:1, over the 1 MiB buffered limit.
                let plain = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: ($0 >> 12) &* 13) }
                var crc: UInt = 0
                crc = plain.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
                let compressed = WebSocketServerTests.rawDeflate(plain)
                #expect(compressed.count < 1 << 20)
                // In two frames, RSV1 on the first.
                let cut = compressed.count / 2
                let summary = try await Self.offPool {
                    let client = try Self.open(port, path, extra: ["Sec-WebSocket-Extensions: permessage-deflate"])
                    guard client.responseHead.contains("permessage-deflate") else { return ["not compressed"] }
                    try client.send(Self.head(0x42, cut) + compressed[..<cut])
                    try client.send(Self.head(0x80, compressed.count - cut) + compressed[cut...])
                    return try Self.summary(client)
                }
                try #require(summary.count == 5, "\(summary)")
                #expect(summary[0] == "binary" && summary[1] == "\(8 << 20)" && summary[2] == "\(crc)")
                let largest = try #require(Int(summary[3]))
                #expect(largest <= 16 << 10, "largest chunk \(largest)")
            }
        }
    }
}
