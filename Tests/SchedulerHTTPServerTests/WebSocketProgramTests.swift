import Foundation
import TestSupport
import Testing

/// `/ws` of the `http-server` executable, driven by `http-client --ws` (HTTP.md's two programs).
@Suite(.timeLimit(.minutes(1))) struct WebSocketProgramTests {
    @Test(arguments: [false, true])
    func httpClientWsEchoesStdinLinesThroughHttpServer(compressed: Bool) async throws {
        let server = try HTTPServerProgramTests.Program(arguments: [])
        defer { _ = server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try exampleProgram("http-client"))
        process.arguments = ["--ws"] + (compressed ? ["--compressed"] : []) + ["ws://127.0.0.1:\(server.port)/ws"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("first line\nκόσμε\n\(String(repeating: "z", count: 100_000))\n".utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text == "first line\nκόσμε\n\(String(repeating: "z", count: 100_000))\n", "\(text.prefix(200))")
    }
}
