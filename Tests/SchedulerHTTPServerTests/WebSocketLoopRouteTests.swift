import Foundation
import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool
import Testing

/// Echoes each message from its loop-thread callback; "task?" is answered with whether the
/// callback ran inside a task, "later" with a message sent from another thread.
final class LoopEcho: WebSocketLoopHandler {
    let writer: WebSocketLoopWriter
    init(_ writer: WebSocketLoopWriter) { self.writer = writer }

    func received(_ message: WebSocketMessage) {
        switch message {
        case .text("task?"):
            let inTask = withUnsafeCurrentTask { $0 != nil }
            try? writer.send(text: inTask ? "in a task" : "no task")
        case .text("later"):
            let writer = self.writer
            Thread.detachNewThread {
                usleep(20_000)
                try? writer.send(text: "from another thread")
            }
        case .text("close"):
            try? writer.close(.init(rawValue: 4000), reason: "asked")
        default:
            try? writer.send(message)
        }
    }
}

/// The loop-thread callback form of a WebSocket route (`router.webSocket(_:handlers:)`) on a real
/// loopback server, driven by hand-built frames: the same handshake, rules, limits and
/// compression as the async form, on the same codec.
/// Nested in ``WebSocketServerTests`` to share its serialization: their raw clients block a
/// cooperative thread each, and two suites blocking at once starve a two-core machine's pool.
extension WebSocketServerTests {
    @Suite struct LoopRoute {
        static func withServer(
            _ configuration: WebSocketConfiguration = WebSocketConfiguration(
                maxMessageSize: 4 << 20, subprotocols: ["chat", "echo"], closeTimeout: .seconds(2)),
            _ body: (UInt16) async throws -> Void
        ) async throws {
            try await withResponder(try router(configuration), body)
        }

        static func router(_ configuration: WebSocketConfiguration) throws -> HTTPRouter {
            var router = HTTPRouter()
            try router.webSocket("/ws", configuration: configuration, handlers: { writer, _, _ in LoopEcho(writer) })
            try router.webSocket("/rooms/:room", configuration: configuration) { writer, request, context in
                let key = request.head.headerFields[HTTPField.Name("X-Key")!] ?? "-"
                try? writer.send(
                    text: "room \(context["room"] ?? "") \(writer.localAddress) \(key) \(writer.subprotocol ?? "-")")
                try? writer.close()
                return LoopEcho(writer)
            }
            return router
        }

        static func open(_ port: UInt16, extra: [String] = []) throws -> RawWebSocketClient {
            let client = try RawWebSocketClient(port: port)
            let head = try client.handshake(extra: extra)
            #expect(head.hasPrefix("HTTP/1.1 101 "))
            return client
        }

        @Test func theHandshakeGivesSubprotocolPathParametersHeadersAndAddress() async throws {
            try await Self.withServer { port in
                let client = try RawWebSocketClient(port: port)
                let head = try client.handshake(
                    path: "/rooms/a%20b", extra: ["X-Key: v1", "Sec-WebSocket-Protocol: other, echo, chat"])
                #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols"))
                #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
                #expect(head.contains("Sec-WebSocket-Protocol: chat"))
                #expect(try client.readFrame()?.payload == Array("room a b 127.0.0.1:\(port) v1 chat".utf8))
                try WebSocketServerTests.expectClose(client, 1000)
            }
        }

        @Test func badHandshakesGet400And426() async throws {
            try await Self.withServer { port in
                let plain = try RawClient(port: port)
                try plain.send("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try plain.readResponse().status == 426)
                let badKey = try RawClient(port: port)
                try badKey.send(
                    "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n"
                )
                #expect(try badKey.readResponse().status == 400)
            }
        }

        @Test func messagesOfEveryLengthComeBackFromACallbackWithoutATask() async throws {
            try await Self.withServer { port in
                let client = try Self.open(port)
                for (index, size) in [0, 1, 125, 126, 65535, 65536, 1 << 20].enumerated() {
                    let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                    try client.sendFrame(0x82, payload)
                    var frame = try #require(try client.readFrame())
                    var received = frame.payload
                    #expect(frame.opcode == 2 && !frame.masked)
                    while !frame.fin {
                        frame = try #require(try client.readFrame())
                        received += frame.payload
                    }
                    #expect(received == payload)
                }
                try client.sendFrame(0x81, Array("task?".utf8))
                #expect(try client.readFrame()?.payload == Array("no task".utf8))
                try client.sendFrame(0x81, Array("later".utf8))
                #expect(try client.readFrame()?.payload == Array("from another thread".utf8))
                try client.sendFrame(0x88, [0x03, 0xE8])
                try WebSocketServerTests.expectClose(client, 1000)
            }
        }

        @Test func pingsAreAnsweredAndFragmentsWithControlFramesMakeOneMessage() async throws {
            try await Self.withServer { port in
                let client = try Self.open(port)
                try client.sendFrame(0x89, [7, 8])
                #expect(
                    try client.readFrame()
                        == RawFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: [7, 8]))
                let text = Array("κόσμε 𝄞".utf8)
                try client.sendFrame(0x01, Array(text[..<3]))
                try client.sendFrame(0x89, Array("p".utf8))
                try client.sendFrame(0x00, Array(text[3..<7]))
                try client.sendFrame(0x8A, [])
                try client.sendFrame(0x80, Array(text[7...]))
                #expect(try client.readFrame()?.opcode == 0xA)
                #expect(
                    try client.readFrame() == RawFrame(fin: true, rsv1: false, opcode: 1, masked: false, payload: text))
            }
        }

        @Test(arguments: [
            ("unmasked", RawWebSocketClient.frame(0x81, Array("x".utf8), mask: nil), 1002),
            ("RSV2", RawWebSocketClient.frame(0xA1, Array("x".utf8)), 1002),
            ("opcode 3", RawWebSocketClient.frame(0x83, []), 1002),
            ("fragmented ping", RawWebSocketClient.frame(0x09, [1]), 1002),
            ("continuation first", RawWebSocketClient.frame(0x80, [1]), 1002),
            ("close code 1005", RawWebSocketClient.frame(0x88, [0x03, 0xED]), 1002),
            ("not UTF-8", RawWebSocketClient.frame(0x81, [0x61, 0xED, 0xA0, 0x80]), 1007),
            // Only the head of a frame one byte over the 4 MiB limit.
            ("over the limit", [0x82, 0xFF, 0, 0, 0, 0, 0, 0x40, 0, 1, 1, 2, 3, 4], 1009),
        ])
        func violationsCloseWithTheirCode(name: String, frame: [UInt8], code: Int) async throws {
            try await Self.withServer { port in
                let client = try Self.open(port)
                try client.send(frame)
                try WebSocketServerTests.expectClose(client, code)
            }
        }

        @Test func theHandlerClosesWithItsCodeAndThePeersAnswerEndsIt() async throws {
            try await Self.withServer { port in
                let client = try Self.open(port)
                try client.sendFrame(0x81, Array("close".utf8))
                let frame = try #require(try client.readFrame())
                #expect(
                    frame.opcode == 8 && frame.closeCode == 4000
                        && frame.payload.dropFirst(2) == Array("asked".utf8)[...])
                try client.sendFrame(0x88, [0x0F, 0xA0])
                #expect(client.readsEndOfStream())
            }
        }

        @Test func compressedMessagesRoundTripAndABombGets1009() async throws {
            let configuration = WebSocketConfiguration(maxMessageSize: 1 << 20, compression: WebSocketCompression())
            try await Self.withServer(configuration) { port in
                let client = try Self.open(port, extra: ["Sec-WebSocket-Extensions: permessage-deflate"])
                #expect(client.responseHead.contains("Sec-WebSocket-Extensions: permessage-deflate"))
                let text = Array(String(repeating: "hello compression ", count: 200).utf8)
                for _ in 0..<2 {
                    try client.sendFrame(0xC1, WebSocketServerTests.rawDeflate(text))
                    let frame = try #require(try client.readFrame())
                    #expect(frame.rsv1 && frame.opcode == 1 && frame.payload.count < text.count / 4)
                }
                try client.sendFrame(0xC2, WebSocketServerTests.rawDeflate([UInt8](repeating: 0, count: 4 << 20)))
                try WebSocketServerTests.expectClose(client, 1009)
            }
        }

        @Test func keepAlivePingsGoOutAndASilentPeerIsDisconnected() async throws {
            let configuration = WebSocketConfiguration(
                pingInterval: .milliseconds(100), pingTimeout: .milliseconds(200))
            try await Self.withServer(configuration) { port in
                let client = try Self.open(port)
                // Three pings answered keep it open (each read waits at most the client's 5 s).
                var pings = 0
                while pings < 3 {
                    let frame = try #require(try client.readFrame())
                    #expect(frame.opcode == 9 && !frame.masked)
                    try client.sendFrame(0x8A, frame.payload)
                    pings += 1
                }
                let silent = ContinuousClock.now
                while let frame = try client.readFrame() { #expect(frame.opcode == 9) }
                #expect(ContinuousClock.now - silent < .seconds(2))
            }
        }

        @Test func aServerShuttingDownClosesItsSocketsWith1001() async throws {
            let server = try HTTPServer(
                address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0),
                configuration: HTTPServer.Configuration(engine: .init(threads: 1)),
                responder: try Self.router(WebSocketConfiguration()))
            let running = await startRunning(server)
            let client = try Self.open(server.address.port)
            try client.sendFrame(0x81, Array("before".utf8))
            #expect(try client.readFrame()?.payload == Array("before".utf8))
            let started = ContinuousClock.now
            let stopping = Task { await server.shutdown() }
            let frame = try #require(try client.readFrame())
            #expect(frame.opcode == 8 && frame.closeCode == 1001)
            try client.sendFrame(0x88, Array(frame.payload.prefix(2)))
            #expect(client.readsEndOfStream())
            await stopping.value
            await running.value
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }
}
