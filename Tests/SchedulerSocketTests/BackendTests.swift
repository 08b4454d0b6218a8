import Foundation
import Testing

@testable import SchedulerSocket

@Suite("I/O backend", .timeLimit(.minutes(2)))
struct BackendTests {
    @Test("IOBackend.current is what SCHEDULER_CORE_BACKEND asks for")
    func backendMatchesEnvironment() throws {
        let requested = ProcessInfo.processInfo.environment["SCHEDULER_CORE_BACKEND"]
        switch requested {
        case "posix":
            #expect(IOBackend.current == .posix)
            #expect(IOBackend.features.hasPrefix("posix"))
        case "io_uring":
            #expect(IOBackend.current == .ioUring)
            #expect(IOBackend.features.contains("ops:"))
        default:
            // Unset: io_uring where the probe succeeded, else POSIX with the reason.
            #expect(IOBackend.features.hasPrefix("posix") == (IOBackend.current == .posix))
        }
        // Sockets work on the chosen backend.
        let (client, server, listener) = try makeConnectedPair()
        try client.send("backend \(IOBackend.current)")
        #expect(String(decoding: try server.recv(maxLength: 64), as: UTF8.self) == "backend \(IOBackend.current)")
        _ = listener
    }
}
