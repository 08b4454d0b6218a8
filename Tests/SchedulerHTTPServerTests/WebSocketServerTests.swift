import CZlib
import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool
import Testing

/// A WebSocket route on a real loopback server, driven by hand-built frames on a raw socket, in
/// the spirit of the Autobahn suite's sections 1–7, 9 and 12–13 (framing, pings, reserved bits,
/// opcodes, fragmentation, UTF-8, close, limits, compression).
@Suite(.serialized) struct WebSocketServerTests {
    static func router(_ configuration: WebSocketConfiguration) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.webSocket("/ws", configuration: configuration) { socket, _, _ in
            for try await message in socket.messages { try await socket.send(message) }
        }
        try router.webSocket("/rooms/:room", configuration: configuration) { socket, request, context in
            let key = request.head.headerFields[HTTPField.Name("X-Key")!] ?? "-"
            try await socket.send(
                text: "room \(context["room"] ?? "") \(socket.localAddress) \(key) \(socket.subprotocol ?? "-")")
        }
        return router
    }

    static func withServer(
        _ configuration: WebSocketConfiguration = WebSocketConfiguration(
            maxMessageSize: 4 << 20, subprotocols: ["chat", "echo"], closeTimeout: .seconds(2)),
        _ body: (UInt16) async throws -> Void
    ) async throws {
        try await withResponder(try router(configuration), body)
    }

    /// Reads frames until a close frame, which must carry `code`; then the server closes TCP.
    static func expectClose(
        _ client: RawWebSocketClient, _ code: Int?, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        while let frame = try client.readFrame() {
            if frame.opcode == 8 {
                #expect(frame.closeCode == code, sourceLocation: sourceLocation)
                // Answered as a client does (a server that failed the connection may be gone).
                try? client.sendFrame(0x88, frame.payload.count >= 2 ? Array(frame.payload[..<2]) : [])
                #expect(!frame.masked, sourceLocation: sourceLocation)
                #expect(client.readsEndOfStream(), sourceLocation: sourceLocation)
                return
            }
        }
        Issue.record("no close frame before the end of the stream", sourceLocation: sourceLocation)
    }

    static func open(_ port: UInt16, extra: [String] = []) throws -> RawWebSocketClient {
        let client = try RawWebSocketClient(port: port)
        let head = try client.handshake(extra: extra)
        #expect(head.hasPrefix("HTTP/1.1 101 "))
        return client
    }

    // MARK: Handshake

    @Test func handshakeAnswersWithTheAcceptKeyAndChosenSubprotocol() async throws {
        try await Self.withServer { port in
            let client = try RawWebSocketClient(port: port)
            let head = try client.handshake(
                path: "/rooms/a%20b", extra: ["X-Key: v1", "Sec-WebSocket-Protocol: other, echo, chat"])
            #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols"))
            // RFC 6455 §1.3's example key and answer.
            #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
            #expect(head.contains("Upgrade: websocket"))
            #expect(head.contains("Connection: Upgrade"))
            #expect(head.contains("Sec-WebSocket-Protocol: chat"))
            #expect(!head.contains("Content-Length"))
            let frame = try client.readFrame()
            #expect(frame?.payload == Array("room a b 127.0.0.1:\(port) v1 chat".utf8))
            try Self.expectClose(client, 1000)
        }
    }

    @Test(arguments: [
        ("Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: short", 400),
        ("Sec-WebSocket-Version: 8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", 426),
        ("Sec-WebSocket-Version: 13", "X-No-Key: 1", 400),
    ])
    func badHandshakesAreRefused(version: String, key: String, status: Int) async throws {
        try await Self.withServer { port in
            let client = try RawClient(port: port)
            try client.send(
                "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(version)\r\n\(key)\r\n\r\n"
            )
            let response = try client.readResponse()
            #expect(response.status == status)
            if status == 426 { #expect(response.field("Sec-WebSocket-Version") == "13") }
        }
    }

    @Test func aPlainGetOnAWebSocketRouteGets426() async throws {
        try await Self.withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 426)
            #expect(response.field("Upgrade") == "websocket")
        }
    }

    // MARK: Framing (Autobahn 1) and pings (2)

    @Test func messagesOfEveryLengthEncodingComeBack() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            for (index, size) in [0, 1, 125, 126, 127, 65535, 65536, 1 << 20].enumerated() {
                let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                let opcode: UInt8 = index % 2 == 0 ? 0x2 : 0x1
                let body = opcode == 0x1 ? [UInt8](repeating: UInt8(ascii: "*"), count: size) : payload
                try client.sendFrame(0x80 | opcode, body)
                // Messages over the 64 KiB frame size come back in several frames.
                var frame = try #require(try client.readFrame())
                var received = frame.payload
                #expect(frame.opcode == opcode && !frame.masked && !frame.rsv1)
                while !frame.fin {
                    frame = try #require(try client.readFrame())
                    #expect(frame.opcode == 0)
                    received += frame.payload
                }
                let same = received == body
                #expect(same, "size \(size): \(received.count) bytes came back")
            }
            try client.sendFrame(0x88, [0x03, 0xE8])
            try Self.expectClose(client, 1000)
        }
    }

    @Test func pingsAreAnsweredWithTheirPayload() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x89, [])
            #expect(try client.readFrame() == RawFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: []))
            let full = [UInt8](repeating: 0xFE, count: 125)
            try client.sendFrame(0x89, full)
            #expect(try client.readFrame()?.payload == full)
            // An unsolicited pong is ignored.
            try client.sendFrame(0x8A, [1, 2, 3])
            try client.sendFrame(0x81, Array("after".utf8))
            #expect(try client.readFrame()?.payload == Array("after".utf8))
        }
    }

    /// Frames that fail the connection with 1002 (Autobahn 2.5, 3.x, 4.x, 5.1–5.2, 5.9+).
    @Test(arguments: [
        ("ping over 125 bytes", [RawWebSocketClient.frame(0x89, [UInt8](repeating: 1, count: 126))]),
        ("RSV1 without an extension", [RawWebSocketClient.frame(0xC1, Array("x".utf8))]),
        ("RSV2", [RawWebSocketClient.frame(0xA1, Array("x".utf8))]),
        ("RSV3 on a ping", [RawWebSocketClient.frame(0x99, [])]),
        ("opcode 3", [RawWebSocketClient.frame(0x83, [])]),
        ("opcode 7", [RawWebSocketClient.frame(0x87, [1])]),
        ("opcode 11", [RawWebSocketClient.frame(0x8B, [])]),
        ("opcode 15", [RawWebSocketClient.frame(0x8F, [1])]),
        ("fragmented ping", [RawWebSocketClient.frame(0x09, [1]), RawWebSocketClient.frame(0x80, [2])]),
        ("continuation first", [RawWebSocketClient.frame(0x80, Array("x".utf8))]),
        (
            "text inside a fragmented text",
            [RawWebSocketClient.frame(0x01, [65]), RawWebSocketClient.frame(0x81, [66])]
        ),
        ("unmasked client frame", [RawWebSocketClient.frame(0x81, Array("x".utf8), mask: nil)]),
        ("close with a one-byte payload", [RawWebSocketClient.frame(0x88, [3])]),
    ])
    func protocolErrorsCloseWith1002(name: String, frames: [[UInt8]]) async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.send(frames.flatMap { $0 })
            try Self.expectClose(client, 1002)
        }
    }

    // MARK: Fragmentation (Autobahn 5)

    @Test func fragmentsWithControlFramesBetweenThemMakeOneMessage() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x01, Array("frag".utf8))
            try client.sendFrame(0x89, Array("p".utf8))
            try client.sendFrame(0x00, Array("men".utf8))
            try client.sendFrame(0x8A, [])
            try client.sendFrame(0x80, Array("ted".utf8))
            #expect(
                try client.readFrame() == RawFrame(fin: true, rsv1: false, opcode: 0xA, masked: false, payload: [112]))
            #expect(
                try client.readFrame()
                    == RawFrame(fin: true, rsv1: false, opcode: 0x1, masked: false, payload: Array("fragmented".utf8)))
            // A binary message in 1-byte fragments.
            try client.sendFrame(0x02, [1])
            for byte in 2...9 { try client.sendFrame(0x00, [UInt8(byte)]) }
            try client.sendFrame(0x80, [10])
            #expect(try client.readFrame()?.payload == Array(1...10))
        }
    }

    // MARK: UTF-8 (Autobahn 6)

    @Test func validUTF8SplitAtEveryByteComesBack() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            let text = Array("κόσμε 𝄞 €\u{10FFFF}\u{E000}".utf8)
            for split in 1..<text.count {
                try client.sendFrame(0x01, Array(text[..<split]))
                try client.sendFrame(0x80, Array(text[split...]))
                #expect(try client.readFrame()?.payload == text)
            }
        }
    }

    @Test(
        arguments: [
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF],
            [0xCE, 0xBA, 0x80], [0x61, 0xE2, 0x82],  // a stray continuation; a character cut at the end
        ] as [[UInt8]])
    func invalidUTF8ClosesWith1007(bytes: [UInt8]) async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x81, bytes)
            try Self.expectClose(client, 1007)
        }
    }

    @Test func invalidUTF8FailsOnItsFragmentBeforeTheMessageEnds() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x01, Array("ok".utf8) + [0xED, 0xA0])
            // No final fragment: the server must fail on what it has.
            try Self.expectClose(client, 1007)
        }
    }

    // MARK: Close (Autobahn 7)

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])
    func validCloseCodesAreEchoed(code: Int) async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x88, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("bye".utf8))
            try Self.expectClose(client, code)
        }
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2000, 2999, 5000, 65535])
    func invalidCloseCodesGet1002(code: Int) async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(0x88, [UInt8(code >> 8), UInt8(code & 0xFF)])
            try Self.expectClose(client, 1002)
        }
    }

    @Test func closeWithoutPayloadIsAnsweredWithoutPayloadAndLaterFramesAreIgnored() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.send(RawWebSocketClient.frame(0x88, []) + RawWebSocketClient.frame(0x81, Array("late".utf8)))
            let frame = try client.readFrame()
            #expect(frame == RawFrame(fin: true, rsv1: false, opcode: 8, masked: false, payload: []))
            #expect(client.readsEndOfStream())
        }
    }

    @Test func aCloseReasonThatIsNotUTF8Gets1007() async throws {
        try await Self.withServer { port in
            let client = try Self.open(port)
            try client.sendFrame(
                0x88, [0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80])
            try Self.expectClose(client, 1007)
        }
    }

    // MARK: Limits (Autobahn 9) and compression (12–13)

    @Test func aMessageOverTheLimitGets1009BeforeItIsRead() async throws {
        try await Self.withServer(WebSocketConfiguration(maxMessageSize: 1000)) { port in
            let client = try Self.open(port)
            try client.sendFrame(0x02, [UInt8](repeating: 1, count: 600))
            // The second fragment's head alone takes the message past 1000 bytes.
            try client.send([0x80, 0x80 | 126, 0x01, 0xF4, 1, 2, 3, 4])
            try Self.expectClose(client, 1009)
        }
    }

    static func rawDeflate(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = czlib_deflate_init(&stream, 6, -15)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: input.count + 1024)
        var copy = input
        let produced = copy.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                _ = deflate(&stream, Z_SYNC_FLUSH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output[..<(produced - 4)])
    }

    static func rawInflate(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = czlib_inflate_init(&stream, -15)
        defer { inflateEnd(&stream) }
        var copy = input + [0, 0, 0xFF, 0xFF]
        var output = [UInt8](repeating: 0, count: 1 << 22)
        let produced = copy.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                _ = inflate(&stream, Z_SYNC_FLUSH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output[..<produced])
    }

    static let compressing = WebSocketConfiguration(maxMessageSize: 1 << 20, compression: WebSocketCompression())

    @Test func permessageDeflateIsNegotiatedAndMessagesComeBackCompressed() async throws {
        try await Self.withServer(Self.compressing) { port in
            let client = try RawWebSocketClient(port: port)
            let head = try client.handshake(extra: [
                "Sec-WebSocket-Extensions: x-unknown, permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits; server_no_context_takeover"
            ])
            #expect(
                head.contains("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n")
                    || head.hasSuffix("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"))
            let text = Array(String(repeating: "hello compression ", count: 200).utf8)
            for _ in 0..<2 {
                try client.sendFrame(0xC1, Self.rawDeflate(text))
                let frame = try #require(try client.readFrame())
                #expect(frame.rsv1 && frame.opcode == 1)
                #expect(frame.payload.count < text.count / 4)
                // No context takeover: each answer inflates alone.
                #expect(Self.rawInflate(frame.payload) == text)
            }
            // A compressed message in fragments, RSV1 on the first only.
            let compressed = Self.rawDeflate(text)
            try client.sendFrame(0x41, Array(compressed[..<10]))
            try client.sendFrame(0x80, Array(compressed[10...]))
            #expect(Self.rawInflate(try #require(try client.readFrame()).payload) == text)
            // An uncompressed message is fine too.
            try client.sendFrame(0x82, [1, 2, 3])
            #expect(try client.readFrame()?.opcode == 2)
            // RSV1 on a continuation frame is not.
            try client.sendFrame(0x01, [1])
            try client.sendFrame(0xC0, [2])
            try Self.expectClose(client, 1002)
        }
    }

    @Test func aCompressedMessageThatInflatesPastTheLimitGets1009() async throws {
        try await Self.withServer(Self.compressing) { port in
            let client = try Self.open(port, extra: ["Sec-WebSocket-Extensions: permessage-deflate"])
            #expect(client.responseHead.contains("Sec-WebSocket-Extensions: permessage-deflate"))
            // 4 MiB of zeros is about 4 KiB compressed: a bomb against a 1 MiB limit.
            let bomb = Self.rawDeflate([UInt8](repeating: 0, count: 4 << 20))
            #expect(bomb.count < 8192)
            try client.sendFrame(0xC2, bomb)
            try Self.expectClose(client, 1009)
        }
    }

    @Test func withoutAnOfferThereIsNoCompression() async throws {
        try await Self.withServer(Self.compressing) { port in
            let client = try Self.open(port)
            #expect(!client.responseHead.contains("Sec-WebSocket-Extensions"))
            try client.sendFrame(0xC1, Self.rawDeflate(Array("x".utf8)))
            try Self.expectClose(client, 1002)
        }
    }

    // MARK: Keep-alive pings

    @Test func keepAlivePingsGoOutAndASilentPeerIsDisconnected() async throws {
        let configuration = WebSocketConfiguration(pingInterval: .milliseconds(100), pingTimeout: .milliseconds(200))
        try await Self.withServer(configuration) { port in
            let client = try Self.open(port)
            let start = ContinuousClock.now
            let ping = try #require(try client.readFrame())
            #expect(ping.opcode == 9 && !ping.masked)
            // Answered pongs keep it open.
            try client.sendFrame(0x8A, ping.payload)
            var pings = 1
            while ContinuousClock.now - start < .milliseconds(600) {
                let frame = try #require(try client.readFrame())
                #expect(frame.opcode == 9)
                try client.sendFrame(0x8A, frame.payload)
                pings += 1
            }
            #expect(pings >= 3)
            // Silence: the server gives up within interval + timeout (plus a ping's period).
            let silent = ContinuousClock.now
            while let frame = try client.readFrame() { #expect(frame.opcode == 9) }
            #expect(ContinuousClock.now - silent < .seconds(2))
        }
    }

    // MARK: Server shutdown

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
        // Well inside the engine's grace period: the socket closed because it was asked to.
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
