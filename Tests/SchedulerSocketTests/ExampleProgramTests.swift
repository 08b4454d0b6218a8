import Foundation
import Testing

/// The example executable, built next to the test bundle by `swift build --build-tests`.
let examplePath: String? = {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("socket-with-ip-pool").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

/// Runs the example with `backend` in SCHEDULER_CORE_BACKEND; returns its status and output.
func runExample(backend: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: examplePath!)
    var environment = ProcessInfo.processInfo.environment
    environment["SCHEDULER_CORE_BACKEND"] = backend
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite("The socket-with-ip-pool example", .enabled(if: examplePath != nil, "the example is not built"))
struct ExampleProgramTests {
    @Test("runs the seed's four scenarios and exits 0 on the backend under test")
    func runsAllScenarios() throws {
        let backend = ProcessInfo.processInfo.environment["SCHEDULER_CORE_BACKEND"] ?? ""
        let (status, output) = try runExample(backend: backend)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all 4 scenarios passed"))
        if !backend.isEmpty { #expect(output.contains("I/O backend \(backend)")) }
    }

    @Test("an unknown SCHEDULER_CORE_BACKEND is a clear error and a non-zero exit")
    func unknownBackend() throws {
        let (status, output) = try runExample(backend: "epoll")
        #expect(status == 1)
        #expect(output.contains("SCHEDULER_CORE_BACKEND=epoll is not one of posix, io_uring"), "\(output)")
    }
}
