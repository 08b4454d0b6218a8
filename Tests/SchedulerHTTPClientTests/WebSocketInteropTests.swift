import Foundation
import SchedulerHTTP
import SchedulerPool
import Testing

/// Whether `python3` can import the `websockets` package.
let pythonWebSocketsAvailable: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import websockets.sync.client, websockets.sync.server"]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

/// Interoperability with Python's `websockets` package: it as client against our server and as
/// server against our client, compression on and off. Skipped (with the reason) without it.
@Suite(
    .serialized, .timeLimit(.minutes(1)),
    .enabled(
        if: pythonWebSocketsAvailable, "python3 with the websockets package is missing (pip install --user websockets)")
)
struct WebSocketInteropTests {
    /// Runs a Python script; its exit status and standard output.
    static func python(_ script: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        return process
    }

    static func output(of process: Process) async throws -> (Int32, String) {
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [false, true])
    func pythonClientAgainstOurServer(compressed: Bool) async throws {
        try await WebSocketClientTests.withEchoServer { port in
            let script = #"""
                import sys
                from websockets.sync.client import connect
                url, compression = sys.argv[1], (None if sys.argv[2] == "off" else "deflate")
                with connect(url, compression=compression, subprotocols=["a"], open_timeout=5, max_size=None) as ws:
                    greeting = ws.recv(timeout=5)
                    messages = ["héllo", bytes(range(256)) * 400, "x" * 1_000_000, b"", ""]
                    for m in messages:
                        ws.send(m)
                        back = ws.recv(timeout=5)
                        assert back == m, (type(m), len(m), len(back))
                    ws.ping(b"p").wait(5)
                    ext = ws.response.headers.get("Sec-WebSocket-Extensions", "-")
                    print(greeting.split(" ", 2)[2], ws.subprotocol, ext)
                """#
            let process = try Self.python(script, ["ws://127.0.0.1:\(port)/echo", compressed ? "on" : "off"])
            let (status, output) = try await Self.output(of: process)
            #expect(status == 0)
            let expected = compressed ? "a true a permessage-deflate" : "a false a -"
            #expect(output.hasPrefix(expected), "\(output)")
        }
    }

    /// Window bits and no context takeover, negotiated by Python's client: the answer names them,
    /// and our server resets its compressor between messages (the second identical message would
    /// otherwise point into the first, which Python's reset inflater no longer has). That the
    /// window is honoured is checked in `WebSocketCodecTests` (zlib's one-shot inflate does not).
    @Test func pythonClientNegotiatesASmallWindowAndNoContextTakeover() async throws {
        try await WebSocketClientTests.withEchoServer { port in
            let script = #"""
                import os, sys
                from websockets.sync.client import connect
                from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
                factory = ClientPerMessageDeflateFactory(
                    server_no_context_takeover=True, client_no_context_takeover=True,
                    server_max_window_bits=10, client_max_window_bits=10)
                with connect(sys.argv[1], extensions=[factory], compression=None, open_timeout=5, max_size=None) as ws:
                    ws.recv(timeout=5)
                    block = os.urandom(2000)
                    for m in [block * 2, block * 2, "text " * 5000]:
                        ws.send(m)
                        assert ws.recv(timeout=5) == m
                    print(ws.response.headers.get("Sec-WebSocket-Extensions"))
                """#
            let process = try Self.python(script, ["ws://127.0.0.1:\(port)/echo"])
            let (status, output) = try await Self.output(of: process)
            #expect(status == 0)
            #expect(
                output.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
                "\(output)")
        }
    }

    @Test(arguments: [false, true])
    func ourClientAgainstAPythonServer(compressed: Bool) async throws {
        let script = #"""
            import sys, threading, os
            from websockets.sync.server import serve
            compression = None if sys.argv[1] == "off" else "deflate"
            threading.Timer(30, lambda: os._exit(1)).start()
            def echo(ws):
                for message in ws:
                    ws.send(message)
                print("closed", ws.close_code, flush=True)
                os._exit(0)
            with serve(echo, "127.0.0.1", 0, compression=compression, max_size=None) as server:
                print(server.socket.getsockname()[1], flush=True)
                server.serve_forever()
            """#
        let process = try Self.python(script, [compressed ? "on" : "off"])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var line = Data()
        while !line.contains(10) {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line.append(byte)
        }
        let port = try #require(
            UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let client = try makeClient()
        try await client.withWebSocket(
            "ws://127.0.0.1:\(port)/",
            configuration: WebSocketConfiguration(compression: compressed ? WebSocketCompression() : nil)
        ) { socket in
            #expect(socket.isCompressed == compressed)
            var messages = socket.messages.makeAsyncIterator()
            for message in [
                WebSocketMessage.text("héllo"), .binary(Array(repeating: 3, count: 300_000)), .text(""), .binary([]),
            ] {
                try await socket.send(message)
                let same = try await messages.next() == message
                #expect(same)
            }
            try await socket.close(.normalClosure, reason: "done")
            #expect(try await messages.next() == nil)
            #expect(socket.closeCode == .normalClosure)
        }
        await client.shutdown()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let rest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("closed 1000"), "\(rest)")
    }
}
