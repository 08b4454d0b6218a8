// swift-format-ignore-file
// (the README block below keeps its aligned comments, as the README shows it)
// The README's async engine example, verbatim between the README lines. A client on another
// thread checks the echo and ends the process (the example itself serves until cancelled).
import ReadmeSupport

exitAfterCheckingEcho(name: "readme-engine", host: "127.20.0.1", port: 8080)

// README begin
import SchedulerCore

let server = try TCPServer(host: "127.20.0.1", port: 8080)     // or TCPServer(binding:…) on a pool address
await server.serve { connection in
    while let chunk = try await connection.recvBuffer() {        // nil: the peer closed
        try await connection.send(chunk)                         // zero-copy: the buffer is handed back
    }
}
// README end
