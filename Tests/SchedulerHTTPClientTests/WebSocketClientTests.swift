import Foundation
import HTTPTypes
import SchedulerEngine
import SchedulerHTTP
import SchedulerPool
import Testing

/// The WebSocket client against the project's server (echo, compression, subprotocols, source
/// address) and against Python raw servers that send hand-built frames (validation, close).
@Suite(.serialized, .timeLimit(.minutes(1))) struct WebSocketClientTests {
    static func withEchoServer(_ body: (UInt16) async throws -> Void) async throws {
        var router = HTTPRouter()
        let configuration = WebSocketConfiguration(compression: WebSocketCompression(), subprotocols: ["b", "a"])
        try router.webSocket("/echo", configuration: configuration) { socket, request, _ in
            try await socket.send(
                text:
                    "hello \(request.remoteAddress?.ip.description ?? "?") \(socket.subprotocol ?? "-") \(socket.isCompressed)"
            )
            for try await message in socket.messages { try await socket.send(message) }
        }
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0),
            configuration: HTTPServer.Configuration(engine: .init(threads: 1)), responder: router)
        let running = await startRunning(server)
        do { try await body(server.address.port) } catch {
            await server.shutdown()
            await running.value
            throw error
        }
        await server.shutdown()
        await running.value
    }

    @Test(arguments: [false, true])
    func echoesThroughTheServerWithAndWithoutCompression(compressed: Bool) async throws {
        try await Self.withEchoServer { port in
            let client = try makeClient()
            let configuration = WebSocketConfiguration(
                maxFrameSize: 16 << 10, compression: compressed ? WebSocketCompression() : nil,
                subprotocols: ["a", "c"])
            try await client.withWebSocket(
                "ws://127.0.0.1:\(port)/echo", configuration: configuration,
                source: .address(SocketAddress(ip: IPAddress("127.0.0.2")!, port: 0))
            ) { socket in
                #expect(socket.isCompressed == compressed)
                #expect(socket.subprotocol == "a")
                var messages = socket.messages.makeAsyncIterator()
                #expect(try await messages.next() == .text("hello 127.0.0.2 a \(compressed)"))
                let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
                for message in [
                    WebSocketMessage.text("κόσμε"), .binary([]), .binary(big),
                    .text(String(repeating: "ab", count: 40_000)),
                ] {
                    try await socket.send(message)
                    let echoed = try await messages.next()
                    let same = echoed == message
                    #expect(
                        same,
                        "\(message.bytes.count) bytes: \(echoed?.bytes.count ?? -1) came back, close \(socket.closeCode?.description ?? "-") \(socket.closeReason)"
                    )
                }
                try await socket.ping([1, 2, 3])
                try await socket.close(.goingAway, reason: "done")
                #expect(try await messages.next() == nil)
                #expect(socket.closeCode == .goingAway)
            }
            await client.shutdown()
        }
    }

    @Test func refusedAndWrongHandshakesThrow() async throws {
        try await Self.withEchoServer { port in
            let client = try makeClient()
            await #expect(
                throws: WebSocketHandshakeError(status: 404, reason: "the server answered 404 Not Found instead of 101")
            ) {
                _ = try await client.webSocket("ws://127.0.0.1:\(port)/nothing")
            }
            await #expect(throws: HTTPClientError.unsupportedScheme("wss")) {
                _ = try await client.webSocket("wss://127.0.0.1:\(port)/echo")
            }
            await client.shutdown()
        }
        let client = try makeClient()
        let server = try RawServer(
            Self.helpers + #"""
                read_head(c)
                c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
                time.sleep(2)
                """#)
        await #expect(throws: WebSocketHandshakeError(status: 101, reason: "a wrong Sec-WebSocket-Accept")) {
            _ = try await client.webSocket("ws://127.0.0.1:\(server.port)/")
        }
        _ = server.stop()
        await client.shutdown()
    }

    /// Python helpers for a raw WebSocket server: the handshake, unmasked frames, reading frames.
    static let helpers = #"""
        import base64, hashlib, struct
        def accept(c):
            head = read_head(c).decode()
            key = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("sec-websocket-key:")][0]
            value = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % value).encode())
        def frame(first, payload, mask=None):
            n = len(payload)
            m = 0x80 if mask else 0
            if n < 126:
                head = bytes([first, m | n])
            elif n < 65536:
                head = bytes([first, m | 126]) + struct.pack("!H", n)
            else:
                head = bytes([first, m | 127]) + struct.pack("!Q", n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                head += mask
            return head + payload
        def recv_exact(c, n):
            data = b""
            while len(data) < n:
                d = c.recv(n - len(data))
                if not d:
                    return None
                data += d
            return data
        def read_frame(c):
            h = recv_exact(c, 2)
            if h is None:
                return None
            n = h[1] & 0x7F
            if n == 126:
                n = struct.unpack("!H", recv_exact(c, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", recv_exact(c, 8))[0]
            masked = bool(h[1] & 0x80)
            mask = recv_exact(c, 4) if masked else b"\0\0\0\0"
            p = recv_exact(c, n)
            return (h[0], masked, bytes(b ^ mask[i % 4] for i, b in enumerate(p)))
        def log(text):
            with open(sys.argv[1], "a") as f:
                f.write(text + "\n")

        """#

    static func log(_ server: RawServer) -> [String] {
        ((try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("conn ") }
    }

    @Test func everyClientFrameIsMaskedAndTheServersCloseIsAnswered() async throws {
        let server = try RawServer(
            Self.helpers + #"""
                accept(c)
                for _ in range(3):
                    first, masked, payload = read_frame(c)
                    log("frame %d %s %d" % (first, masked, len(payload)))
                    c.sendall(frame(first, payload))
                c.sendall(frame(0x88, struct.pack("!H", 1001) + b"bye"))
                first, masked, payload = read_frame(c)
                log("close %d %s %d" % (first, masked, struct.unpack("!H", payload[:2])[0]))
                c.close()
                """#)
        let client = try makeClient()
        let socket = try await client.webSocket(
            "ws://127.0.0.1:\(server.port)/", configuration: WebSocketConfiguration(maxFrameSize: 100_000))
        try await socket.send(text: "one")
        try await socket.send(binary: [UInt8](repeating: 7, count: 300))
        try await socket.send(text: String(repeating: "x", count: 70_000))
        var received: [Int] = []
        for try await message in socket.messages { received.append(message.bytes.count) }
        #expect(received == [3, 300, 70_000])
        #expect(socket.closeCode == .goingAway)
        #expect(socket.closeReason == "bye")
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            Self.log(server) == [
                "frame 129 True 3", "frame 130 True 300", "frame 129 True 70000", "close 136 True 1001",
            ])
        _ = server.stop()
        await client.shutdown()
    }

    @Test(arguments: [
        ("masked server frame", "c.sendall(frame(0x81, b'hi', mask=b'abcd'))", WebSocketCloseCode.protocolError),
        ("invalid UTF-8", "c.sendall(frame(0x81, b'\\xed\\xa0\\x80'))", .invalidPayload),
        ("unknown opcode", "c.sendall(frame(0x85, b''))", .protocolError),
        ("RSV1 without compression", "c.sendall(frame(0xC1, b'x'))", .protocolError),
        ("too big", "c.sendall(frame(0x82, b'x' * 2000))", .messageTooBig),
    ])
    func badServerFramesFailTheClientWithTheirCode(name: String, send: String, code: WebSocketCloseCode) async throws {
        let server = try RawServer(
            Self.helpers + """
                accept(c)
                \(send)
                reply = read_frame(c)
                log("reply %d %d" % (reply[0], struct.unpack("!H", reply[2][:2])[0]) if reply else "reply none")
                """)
        let client = try makeClient()
        let socket = try await client.webSocket(
            "ws://127.0.0.1:\(server.port)/", configuration: WebSocketConfiguration(maxMessageSize: 1000))
        await #expect(throws: WebSocketError.self) {
            for try await _ in socket.messages {}
        }
        do {
            for try await _ in socket.messages {}
        } catch {
            #expect(error.code == code, "\(name)")
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(Self.log(server) == ["reply 136 \(code.rawValue)"], "\(name)")
        _ = server.stop()
        await client.shutdown()
    }

    @Test func aStreamedMessageGoesOutFrameByFrame() async throws {
        let server = try RawServer(
            Self.helpers + #"""
                accept(c)
                firsts, total = [], 0
                while True:
                    first, masked, payload = read_frame(c)
                    firsts.append(first)
                    total += len(payload)
                    if first & 0x80:
                        break
                log("frames %s %d" % (firsts, total))
                rest = []
                while True:
                    f = read_frame(c)
                    if f is None:
                        break
                    rest.append((f[0], f[2][:2].hex()))
                    if f[0] == 0x88:
                        break
                log("then %s" % rest)
                c.sendall(frame(0x88, struct.pack("!H", 1000)))
                c.close()
                """#)
        let client = try makeClient()
        let socket = try await client.webSocket("ws://127.0.0.1:\(server.port)/")
        try await socket.send(streaming: .binary) { writer in
            for _ in 0..<3 { try await writer.write([UInt8](repeating: 1, count: 100_000)) }
        }
        // Text is checked as it is written: half a character cannot end a message.
        await #expect(throws: WebSocketError.self) {
            try await socket.send(streaming: .text) { writer in try await writer.write([0xCE]) }
        }
        // The text frame that went out before the check at its end cannot be finished: the
        // socket closed with 1007 after it, and sends nothing more.
        await #expect(throws: WebSocketError.self) { try await socket.send(text: "more") }
        for try await _ in socket.messages {}
        try await Task.sleep(for: .milliseconds(100))
        #expect(Self.log(server) == ["frames [2, 0, 0, 128] 300000", "then [(1, 'ce'), (136, '03ef')]"])
        _ = server.stop()
        await client.shutdown()
    }
}
