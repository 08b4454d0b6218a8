import ArgumentParser
import Foundation
import HTTPTypes
import SchedulerCore

/// `http-client --ws` and `--ws-echo`: a WebSocket on standard input and output, or an echo.
struct WebSocketSession {
    let url: String
    let headerFields: HTTPFields
    let sourceIP: String?
    let compressed: Bool
    let timeout: Double?
    let echo: Bool

    func run() async throws {
        var source: HTTPClientSource?
        if let sourceIP {
            guard let ip = IPAddress(sourceIP) else {
                throw ValidationError("--source-ip: '\(sourceIP)' is not an IP address")
            }
            source = .address(SocketAddress(ip: ip, port: 0))
        }
        // Autobahn's client cases send up to 16 MiB messages (section 9), and compression when asked.
        let configuration = WebSocketConfiguration(
            maxMessageSize: 64 << 20, compression: compressed ? WebSocketCompression() : nil)
        let client = try HTTPClient()
        let socket = try await client.webSocket(
            url, headerFields: headerFields, configuration: configuration, source: source,
            timeout: .milliseconds(Int64((timeout ?? 10) * 1000)))
        if echo {
            do {
                for try await message in socket.messages { try await socket.send(message) }
            } catch let error as WebSocketError {
                // The server's protocol errors end the echo; Autobahn judges them itself.
                FileHandle.standardError.write(Data("http-client: \(error)\n".utf8))
            }
        } else {
            let printer = Task {
                for try await message in socket.messages {
                    switch message {
                    case .text(let text): FileHandle.standardOutput.write(Data((text + "\n").utf8))
                    case .binary(let bytes): FileHandle.standardOutput.write(Data(bytes))
                    }
                }
            }
            // Standard input is read on a thread of its own: a blocking read must not hold one of
            // the few threads the tasks run on.
            let lines = AsyncStream<String> { continuation in
                Thread {
                    while let line = readLine() { continuation.yield(line) }
                    continuation.finish()
                }.start()
            }
            sending: for await line in lines {
                do { try await socket.send(text: line) } catch { break sending }
            }
            try? await socket.close()
            try await printer.value
        }
        await client.shutdown()
    }
}
