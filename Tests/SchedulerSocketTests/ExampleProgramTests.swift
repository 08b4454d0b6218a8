import Foundation
import TestSupport
import Testing

/// The example executable, from the Examples package (see `exampleProgram`).
func examplePath() throws -> String { try exampleProgram("socket-with-ip-pool") }

/// tools/deny_io_uring.c compiled with cc into a temporary folder: runs a program under a
/// seccomp filter that refuses io_uring_setup with EPERM. Nil where cc is missing.
let denyIOUringPath: String? = {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/deny_io_uring.c").path
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("deny_io_uring-\(getpid())").path
    guard FileManager.default.fileExists(atPath: source),
        let cc = ["/usr/bin/cc", "/usr/bin/gcc"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        })
    else { return nil }
    let compiler = Process()
    compiler.executableURL = URL(fileURLWithPath: cc)
    compiler.arguments = ["-O2", "-o", output, source]
    guard (try? compiler.run()) != nil else { return nil }
    compiler.waitUntilExit()
    return compiler.terminationStatus == 0 ? output : nil
}()

/// Runs the example with `backend` in SCHEDULER_CORE_BACKEND; returns its status and output.
/// With `denyingIOUring`, the example runs under a seccomp filter that refuses io_uring.
func runExample(backend: String, denyingIOUring: Bool = false) throws -> (status: Int32, output: String) {
    let process = Process()
    if denyingIOUring {
        process.executableURL = URL(fileURLWithPath: denyIOUringPath!)
        process.arguments = [try examplePath()]
    } else {
        process.executableURL = URL(fileURLWithPath: try examplePath())
    }
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

@Suite("The socket-with-ip-pool example", .timeLimit(.minutes(2)))
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

    @Test(
        "where seccomp refuses io_uring: the default falls back to POSIX, a forced io_uring fails clearly",
        .enabled(if: runsHere(denyIOUringPath != nil), "no C compiler to build tools/deny_io_uring.c"))
    func seccompRefusesIOUring() throws {
        try #require(denyIOUringPath != nil, "strict mode: cc could not build tools/deny_io_uring.c: the fallback was not tested")
        defer { try? FileManager.default.removeItem(atPath: denyIOUringPath!) }
        let fallback = try runExample(backend: "", denyingIOUring: true)
        #expect(fallback.status == 0, "\(fallback.output)")
        #expect(fallback.output.contains("I/O backend posix (posix (io_uring unavailable: Operation not permitted))"))
        #expect(fallback.output.contains("all 4 scenarios passed"))

        let forced = try runExample(backend: "io_uring", denyingIOUring: true)
        #expect(forced.status == 1)
        #expect(
            forced.output.contains(
                "SCHEDULER_CORE_BACKEND=io_uring, but io_uring cannot be used here: Operation not permitted (EPERM)"),
            "\(forced.output)")
    }
}
