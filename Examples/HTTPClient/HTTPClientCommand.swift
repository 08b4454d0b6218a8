import ArgumentParser
import Glibc
import HTTPTypes
import SchedulerCore

/// `http-client`: a small curl on the library's ``HTTPClient``.
@main
struct HTTPClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-client",
        abstract: "Sends an HTTP/1.1 request and prints the response body (a small curl).")

    @Option(name: .customShort("X"), help: "The request method (default GET, or POST with -d/--data-file).")
    var method: String?

    @Option(name: .customShort("H"), help: "A header field 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(name: .customShort("d"), help: "The request body (POST unless -X says otherwise).")
    var data: String?

    @Option(name: .customLong("data-file"), help: "A file sent as the request body, streamed.")
    var dataFile: String?

    @Option(name: .customLong("source-ip"), help: "The local address the connection leaves from (a pool address).")
    var sourceIP: String?

    @Option(help: "The most seconds the whole transfer may take.")
    var timeout: Double?

    @Flag(name: .customShort("L"), help: "Follow up to 10 redirects.")
    var location = false

    @Flag(help: "Ask for gzip and decode it.")
    var compressed = false

    @Flag(name: .customShort("i"), help: "Print the status line and header fields before the body.")
    var include = false

    @Option(name: .customShort("o"), help: "Write the body to this file instead of standard output.")
    var output: String?

    @Option(help: "Send the request this many times over the connection pool.")
    var `repeat`: Int = 1

    @Flag(help: "Open a WebSocket (ws:// URL): each stdin line goes out as a text message; each message is printed.")
    var ws = false

    @Flag(name: .customLong("ws-echo"), help: "Open a WebSocket and echo every message back until the server closes.")
    var wsEcho = false

    @Argument(help: "The URL (http://, or ws:// with --ws / --ws-echo).")
    var url: String

    func validate() throws {
        if data != nil && dataFile != nil { throw ValidationError("give -d or --data-file, not both") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be positive") }
        if ws && wsEcho { throw ValidationError("give --ws or --ws-echo, not both") }
    }

    func run() async throws {
        do {
            try await transfer()
        } catch let error as HTTPClientError {
            fail("\(error)", code: Self.exitCode(error))
        } catch let error as WebSocketHandshakeError {
            fail("\(error)", code: 22)
        } catch {
            fail("\(error)", code: 1)
        }
    }

    private func transfer() async throws {
        if ws || wsEcho {
            try await WebSocketSession(
                url: url, headerFields: try fields(), sourceIP: sourceIP, compressed: compressed, timeout: timeout,
                echo: wsEcho
            ).run()
            return
        }
        var configuration = HTTPClient.Configuration()
        configuration.followRedirects = location
        configuration.decompression = compressed
        if let timeout {
            configuration.totalTimeout = .milliseconds(Int64(timeout * 1000))
            configuration.connectTimeout = min(configuration.connectTimeout, .milliseconds(Int64(timeout * 1000)))
        }
        if let sourceIP {
            guard let ip = IPAddress(sourceIP) else { throw ValidationError("--source-ip: '\(sourceIP)' is not an IP address") }
            configuration.source = .address(SocketAddress(ip: ip, port: 0))
        }
        var fields = try fields()
        var body = HTTPClientRequestBody.empty
        if let data {
            body = .string(data)
        } else if let dataFile {
            body = try FileChunks.body(path: dataFile)
        }
        if (data != nil || dataFile != nil) && fields[.contentType] == nil {
            fields[.contentType] = "application/x-www-form-urlencoded"
        }
        let methodName = method ?? (data != nil || dataFile != nil ? "POST" : "GET")
        guard let requestMethod = HTTPRequest.Method(methodName) else {
            throw ValidationError("-X '\(methodName)' is not a method name")
        }
        let request = try HTTPClientRequest(url: url, method: requestMethod, headerFields: fields, body: body)
        let client = try HTTPClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        let sink = try OutputSink(path: output)
        for _ in 0..<`repeat` {
            let response = try await client.execute(request)
            if include { try sink.write(Array(Self.headText(response).utf8)) }
            for try await chunk in response.body { try sink.write(chunk) }
        }
        sink.close()
        await client.shutdown()
    }

    /// The -H fields.
    private func fields() throws -> HTTPFields {
        var fields = HTTPFields()
        for line in header {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else {
                throw ValidationError("-H '\(line)': expected 'Name: value'")
            }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            fields.append(HTTPField(name: name, value: String(value)))
        }
        return fields
    }

    /// `HTTP/1.1 200 OK` and the header fields, CRLF-ended, then an empty line.
    static func headText(_ response: HTTPClientResponse) -> String {
        let reason = response.head.status.reasonPhrase
        var text = "\(response.version) \(response.head.status.code)\(reason.isEmpty ? "" : " " + reason)\r\n"
        for field in response.head.headerFields { text += "\(field.name.rawName): \(field.value)\r\n" }
        return text + "\r\n"
    }

    /// curl's exit codes for the same failures.
    static func exitCode(_ error: HTTPClientError) -> Int32 {
        switch error {
        case .unsupportedScheme: 1
        case .invalidURL: 3
        case .connectionRefused, .connectFailed, .bindingReleased: 7
        case .malformedResponse: 8
        case .timedOut: 28
        case .tooManyRedirects: 47
        case .connectionReset: 56
        case .decompressionFailed: 61
        case .responseTooLarge: 63
        default: 1
        }
    }

    private func fail(_ message: String, code: Int32) -> Never {
        let line = "http-client: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        Glibc.exit(code)
    }
}
