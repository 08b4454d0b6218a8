import Foundation
import SchedulerHTTP
import TestSupport
import Testing

/// The `http-client` executable against the project's server, run as a process.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ProgramTests {
    /// The `http-client` of the Examples package.
    static func programPath() throws -> String { try exampleProgram("http-client") }

    /// Runs http-client with `arguments`: exit status, stdout, stderr.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try programPath())
        process.arguments = arguments
        let directory = FileManager.default.temporaryDirectory
        let out = directory.appendingPathComponent("hc-out-\(UUID())")
        let err = directory.appendingPathComponent("hc-err-\(UUID())")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return (
            process.terminationStatus, try String(contentsOf: out, encoding: .utf8),
            try String(contentsOf: err, encoding: .utf8)
        )
    }

    @Test func curlLikeOutput() async throws {
        try await withServer { port in
            let base = "http://127.0.0.1:\(port)"
            let plain = try await Self.run(["\(base)/"])
            #expect(plain.status == 0 && plain.output == "Hello, World!")
            let included = try await Self.run(["-i", "\(base)/"])
            #expect(included.output.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(included.output)")
            #expect(included.output.hasSuffix("\r\n\r\nHello, World!"))
            let echo = try await Self.run(["-X", "PUT", "-H", "Content-Type: text/x-test", "-d", "data", "\(base)/method"])
            #expect(echo.output == "PUT 4 type=text/x-test")
            let repeated = try await Self.run(["--repeat", "10", "\(base)/peer"])
            // Ten bodies, each the client's address as the server saw it: one connection, one port.
            let ports = repeated.output.components(separatedBy: "127.0.0.1:").filter { !$0.isEmpty }
            #expect(ports.count == 10 && Set(ports).count == 1, "\(repeated.output)")
            let source = try await Self.run(["--source-ip", "127.82.0.5", "\(base)/peer"])
            #expect(source.output.hasPrefix("127.82.0.5:"), "\(source.output)")
            let redirected = try await Self.run(["-L", "\(base)/redirect/3"])
            #expect(redirected.output == "done")
            let loop = try await Self.run(["-L", "\(base)/loop"])
            #expect(loop.status == 47 && loop.errors.contains("too many redirects"), "\(loop)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hc-o-\(UUID())").path
            let saved = try await Self.run(["-o", file, "\(base)/big?300000"])
            #expect(saved.status == 0 && saved.output.isEmpty)
            #expect((try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) == 300000)
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    @Test func errorsAreOneLine() async throws {
        let https = try await Self.run(["https://127.0.0.1/"])
        #expect(https.status != 0 && https.errors == "http-client: https:// is not supported yet (no TLS)\n")
        let refused = try await Self.run(["http://127.0.0.1:1/"])
        #expect(refused.status == 7 && refused.errors.contains("refused"), "\(refused)")
        let raw = try RawServer("read_head(c)\ntime.sleep(30)")
        let timedOut = try await Self.run(["--timeout", "0.3", raw.url()])
        #expect(timedOut.status == 28 && timedOut.errors.contains("timed out"), "\(timedOut)")
        _ = raw.stop()
    }
}
