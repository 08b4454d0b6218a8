import Foundation
import TestSupport
import Testing

/// The `http-server` executable, driven by real clients: curl and Python's http.client.
@Suite(.timeLimit(.minutes(2))) struct HTTPServerProgramTests {
    /// The `http-server` of the Examples package.
    static func programPath() throws -> String { try exampleProgram("http-server") }

    struct ProgramError: Error, CustomStringConvertible { let description: String }

    /// A running `http-server` on a free port; stopped with SIGTERM by `stop()`.
    final class Program {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        var port: UInt16 = 0

        init(arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: try HTTPServerProgramTests.programPath())
            process.arguments = ["--port", "0", "--threads", "1"] + arguments
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The first line says where it listens: "http-server: listening on 127.0.0.1:PORT, ..."
            var line = Data()
            while !line.contains(10) {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { throw ProgramError(description: "http-server exited before listening") }
                line.append(byte)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: "127.0.0.1:"),
                let port = UInt16(text[range.upperBound...].prefix { $0.isNumber })
            else { throw ProgramError(description: "no port in: \(text)") }
            self.port = port
        }

        /// SIGTERM, then the exit status and what it logged on stderr.
        func stop() -> (status: Int32, log: String) {
            process.terminate()
            let log = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: log, as: UTF8.self))
        }
    }

    /// Runs a command found through PATH; its exit status and standard output.
    static func run(_ command: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func curlGetsEveryRoute() throws {
        let server = try Program(arguments: ["--max-body", "1000"])
        let base = "http://127.0.0.1:\(server.port)"
        func curl(_ arguments: String...) throws -> String {
            let result = try Self.run(["curl", "-s", "--max-time", "10"] + arguments)
            #expect(result.status == 0)
            return result.output
        }
        #expect(try curl("\(base)/") == "Hello, World!")
        #expect(try curl("\(base)/json") == #"{"message":"Hello, World!"}"#)
        #expect(try curl("\(base)/users/a%2Fb") == "user a/b")
        #expect(try curl("\(base)/stream?n=3") == "chunk 0\nchunk 1\nchunk 2\n")
        #expect(try curl("-X", "POST", "--data-binary", "payload", "\(base)/echo") == "payload")
        #expect(try curl("-H", "Transfer-Encoding: chunked", "--data-binary", "chunky", "\(base)/echo") == "chunky")
        #expect(try curl("-o", "/dev/null", "-w", "%{http_code}", "\(base)/nowhere") == "404")
        #expect(try curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "\(base)/json") == "405")
        #expect(try curl("-o", "/dev/null", "-w", "%{http_code}", "--data-binary", String(repeating: "x", count: 1001), "\(base)/echo") == "413")
        // Two URLs on one curl: the second reuses the connection.
        let reuse = try Self.run(["curl", "-s", "-v", "\(base)/", "\(base)/json"])
        #expect(reuse.output == "Hello, World!" + #"{"message":"Hello, World!"}"#)
        // gzip when asked for, on /json (tiny) and on bodies of 1 KiB or more.
        let gzipped = try Self.run(["curl", "-s", "--compressed", "-D", "-", "\(base)/json"])
        #expect(gzipped.output.lowercased().contains("content-encoding: gzip"))
        #expect(gzipped.output.hasSuffix(#"{"message":"Hello, World!"}"#))
        let (status, log) = server.stop()
        #expect(status == 0)
        #expect(log.contains("GET /users/a%2Fb 200 8B"))
    }

    @Test func pythonHTTPClientKeepsOneConnection() throws {
        let server = try Program(arguments: [])
        let script = """
            import http.client, sys
            c = http.client.HTTPConnection("127.0.0.1", \(server.port), timeout=10)
            out = []
            for path in ["/", "/json", "/stream?n=2", "/users/7"]:
                c.request("GET", path)
                r = c.getresponse()
                out.append("%d %s" % (r.status, r.read().decode()))
            c.request("HEAD", "/")
            r = c.getresponse()
            out.append("%d %s %r" % (r.status, r.getheader("Content-Length"), r.read()))
            c.request("POST", "/echo", body=b"x" * 100000, headers={"Content-Type": "application/x-test"})
            r = c.getresponse()
            out.append("%d %s %d" % (r.status, r.getheader("Content-Type"), len(r.read())))
            print("|".join(out))
            """
        let result = try Self.run(["python3", "-c", script])
        #expect(result.status == 0)
        #expect(
            result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == #"200 Hello, World!|200 {"message":"Hello, World!"}|200 chunk 0\#nchunk 1\#n|200 user 7|200 13 b''|200 application/x-test 100000"#)
        #expect(server.stop().status == 0)
    }
}
