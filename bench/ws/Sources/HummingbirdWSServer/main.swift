// The Hummingbird peer for `make bench-ws`: every message on `/ws` echoed back, on one event
// loop (a MultiThreadedEventLoopGroup of one thread), 127.0.0.1 only. Usage: HummingbirdWSServer PORT
import Hummingbird
import HummingbirdWebSocket
import NIOPosix

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 9001 : 9001
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let app = Application(
    router: Router(),
    server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 20))) { request, _, _ in
        guard request.path == "/ws" else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                switch message {
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                case .text(let string): try await outbound.write(.text(string))
                }
            }
        }
    },
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    eventLoopGroupProvider: .shared(group))
try await app.runService()
