import Foundation
import Testing

/// A misbehaving HTTP server written in Python (`python3` through PATH), for what the project's
/// own server never sends. `handler` is Python: the body of `def handle(c, n):` (socket `c`,
/// connection number `n`), with `read_head(c)` available. The script prints `conn N` for each
/// accepted connection and exits by itself after 60 s.
final class RawServer {
    let process = Process()
    let output = Pipe()
    let port: UInt16
    let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("raw-server-\(UUID()).log").path

    init(_ handler: String) throws {
        let indented = handler.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "    " + $0 }.joined(separator: "\n")
        let script = """
            import os, socket, sys, threading, time
            threading.Timer(60, lambda: os._exit(0)).start()
            def read_head(c):
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    d = c.recv(65536)
                    if not d:
                        return None
                    data += d
                return data
            def handle(c, n):
            \(indented)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            print(s.getsockname()[1], flush=True)
            n = 0
            while True:
                c, a = s.accept()
                with open(sys.argv[1], "a") as log:
                    log.write("conn %d\\n" % n)
                threading.Thread(target=handle, args=(c, n), daemon=True).start()
                n += 1
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, logPath]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { throw RawServerError(description: "the Python server exited before listening") }
            line.append(byte)
        }
        guard let port = UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw RawServerError(description: "no port from the Python server") }
        self.port = port
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops the server; the number of connections it accepted.
    func stop() -> Int {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: logPath)
        return text.split(separator: "\n").filter { $0.hasPrefix("conn ") }.count
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct RawServerError: Error, CustomStringConvertible { let description: String }
