import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool
import Synchronization
import Testing

/// Collects what a loop-thread client handler receives, for a test to wait on.
final class LoopCollector: WebSocketLoopHandler, Sendable {
    struct Seen {
        var messages: [WebSocketMessage] = []
        var chunks: [WebSocketChunk] = []
        var closed: WebSocketError?? = nil
    }
    let seen = Mutex(Seen())
    let streams: Bool
    init(streams: Bool = false) { self.streams = streams }

    var streamsMessages: Bool { streams }
    func received(_ message: WebSocketMessage) { seen.withLock { $0.messages.append(message) } }
    func received(_ chunk: WebSocketChunk) { seen.withLock { $0.chunks.append(chunk) } }
    func closed(_ error: WebSocketError?) { seen.withLock { $0.closed = .some(error) } }

    /// Waits (at most 10 s) until `done` holds for what was seen.
    func wait(_ done: (Seen) -> Bool) async throws -> Seen {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let current = seen.withLock { $0 }
            if done(current) { return current }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("timed out waiting")
        return seen.withLock { $0 }
    }
}

/// Counts tasks that woke, shared with the tasks.
final class WokenCount: Sendable { let value = Atomic(0) }

/// The client's loop-thread callback form (`HTTPClient.webSocket(_:handlers:)`) and streamed
/// messages on the client, against the project's echo server.
@Suite(.serialized, .timeLimit(.minutes(1))) struct WebSocketLoopClientTests {
    @Test(arguments: [false, true])
    func echoesThroughTheServerFromCallbacks(compressed: Bool) async throws {
        try await WebSocketClientTests.withEchoServer { port in
            let client = try makeClient()
            let collector = LoopCollector()
            let configuration = WebSocketConfiguration(
                maxFrameSize: 16 << 10, compression: compressed ? WebSocketCompression() : nil,
                subprotocols: ["a", "c"])
            let writer = try await client.webSocket(
                "ws://127.0.0.1:\(port)/echo", headerFields: [HTTPField.Name("X-Test")!: "1"],
                configuration: configuration, source: .address(SocketAddress(ip: IPAddress("127.0.0.2")!, port: 0)),
                handlers: { _ in collector })
            #expect(writer.isCompressed == compressed && writer.subprotocol == "a" && writer.role == .client)
            #expect(writer.localAddress.ip == IPAddress("127.0.0.2")!)
            let sent: [WebSocketMessage] = [
                .text("κόσμε"), .binary([]), .binary((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) }),
                .text(String(repeating: "ab", count: 40_000)),
            ]
            for message in sent { try writer.send(message) }
            try writer.ping([1, 2, 3])
            let seen = try await collector.wait { $0.messages.count == sent.count + 1 }
            #expect(seen.messages.first == .text("hello 127.0.0.2 a \(compressed)"))
            #expect(Array(seen.messages.dropFirst()) == sent)
            // Two tasks wait besides the client's own: each must wake (a single waiter slot lost
            // all but the last one).
            let woken = WokenCount()
            for _ in 0..<2 { Task { await writer.waitUntilClosed(); woken.value.add(1, ordering: .relaxed) } }
            try await Task.sleep(for: .milliseconds(50))
            try writer.close(.goingAway, reason: "done")
            await writer.waitUntilClosed()
            #expect(writer.closeCode == .goingAway)
            let deadline = ContinuousClock.now + .seconds(10)
            while woken.value.load(ordering: .relaxed) < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(woken.value.load(ordering: .relaxed) == 2)
            let closed = try await collector.wait { $0.closed != nil }
            #expect(closed.closed == .some(nil))
            #expect(throws: WebSocketError.self) { try writer.send(text: "after") }
            await client.shutdown()
        }
    }

    @Test func aBigMessageReachesTheClientInChunksBothForms() async throws {
        try await WebSocketClientTests.withEchoServer { port in
            let client = try makeClient()
            let big = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 16) }
            let collector = LoopCollector(streams: true)
            let writer = try await client.webSocket("ws://127.0.0.1:\(port)/echo", handlers: { _ in collector })
            try writer.send(binary: big)
            let seen = try await collector.wait { $0.chunks.filter(\.isFinal).count == 2 }
            // The greeting, then the echo in pieces no bigger than a receive.
            let echo = seen.chunks.drop { !$0.isFinal }.dropFirst()
            #expect(echo.first?.isFirst == true && echo.first?.kind == .binary)
            #expect(Array(echo.map(\.bytes).joined()) == big)
            #expect(echo.allSatisfy { $0.bytes.count <= 256 << 10 })
            #expect(echo.count > 1)
            try writer.close()
            await writer.waitUntilClosed()

            // The async form: `chunks` on a client socket.
            try await client.withWebSocket("ws://127.0.0.1:\(port)/echo") { socket in
                try await socket.send(binary: big)
                var received: [UInt8] = []
                var finals = 0
                var largest = 0
                for try await chunk in socket.chunks {
                    if finals == 1 { received += chunk.bytes }
                    largest = max(largest, chunk.bytes.count)
                    if chunk.isFinal { finals += 1 }
                    if finals == 2 { break }
                }
                #expect(received == big)
                #expect(largest <= 256 << 10)
            }
            await client.shutdown()
        }
    }
}
