// Our side of `make bench-ws`: every message on `/ws` echoed back through HTTPRouter's WebSocket
// route, on one engine loop, 127.0.0.1 only. Usage: SchedulerWSServer PORT
import SchedulerCore

let port = CommandLine.arguments.count > 1 ? UInt16(CommandLine.arguments[1]) ?? 9002 : 9002
var router = HTTPRouter()
try router.webSocket("/ws", configuration: WebSocketConfiguration(maxMessageSize: 1 << 20, maxFrameSize: 1 << 20)) {
    socket, _, _ in
    for try await message in socket.messages { try await socket.send(message) }
}
let server = try HTTPServer(
    address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: port),
    configuration: HTTPServer.Configuration(engine: .init(threads: 1)), responder: router)
await server.run()
