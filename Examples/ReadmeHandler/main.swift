// swift-format-ignore-file
// (the README block below keeps its aligned comments, as the README shows it)
// The README's callback-handler example, verbatim between the README lines. A client on another
// thread checks the echo and ends the process (the example itself serves until cancelled).
import ReadmeSupport
import SchedulerCore

let server = try TCPServer(host: "127.20.0.2", port: 8080)
exitAfterCheckingEcho(name: "readme-handler", host: "127.20.0.2", port: 8080)

// README begin
final class Echo: TCPConnectionHandler {
    let connection: TCPConnection
    init(_ connection: TCPConnection) { self.connection = connection }
    func received(_ buffer: consuming TCPBuffer) {
        do { try connection.sendNow(buffer) } catch { connection.closeNow() }
    }
}
await server.serve(handlers: { Echo($0) })
// README end
