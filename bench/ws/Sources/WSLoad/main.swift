// The load of `make bench-ws`: CONNECTIONS WebSockets to URL, each sending a binary message of
// SIZE bytes and waiting for its echo, over and over, for SECONDS after one warm-up second.
// Prints one JSON line: {"messages": N, "seconds": S, "errors": E}.
// Usage: WSLoad URL CONNECTIONS SIZE SECONDS
import Glibc
import SchedulerCore
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 5, let connections = Int(arguments[2]), let size = Int(arguments[3]),
    let seconds = Double(arguments[4])
else {
    print("usage: WSLoad URL CONNECTIONS SIZE SECONDS")
    exit(2)
}
let url = arguments[1]
var configuration = HTTPClient.Configuration()
configuration.engine = .init(threads: 1)
let client = try HTTPClient(configuration: configuration)
let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
let counted = Atomic<Int>(0)
let errors = Atomic<Int>(0)
let measuring = Atomic<Bool>(false)
let stop = Atomic<Bool>(false)
let clock = ContinuousClock()
let started = clock.now
await withTaskGroup(of: Void.self) { group in
    for _ in 0..<connections {
        group.addTask {
            do {
                let socket = try await client.webSocket(
                    url, configuration: WebSocketConfiguration(maxMessageSize: 1 << 20, maxFrameSize: 1 << 20))
                var messages = socket.messages.makeAsyncIterator()
                while !stop.load(ordering: .relaxed) {
                    try await socket.send(binary: payload)
                    guard let echoed = try await messages.next(), echoed.bytes.count == size else {
                        errors.add(1, ordering: .relaxed)
                        break
                    }
                    if measuring.load(ordering: .relaxed) { counted.add(1, ordering: .relaxed) }
                }
                try? await socket.close()
                while (try? await messages.next()) != nil {}
            } catch {
                errors.add(1, ordering: .relaxed)
            }
        }
    }
    group.addTask {
        try? await Task.sleep(for: .seconds(1))
        measuring.store(true, ordering: .relaxed)
        try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        measuring.store(false, ordering: .relaxed)
        stop.store(true, ordering: .relaxed)
    }
}
_ = started
print(
    "{\"messages\": \(counted.load(ordering: .relaxed)), \"seconds\": \(seconds), \"errors\": \(errors.load(ordering: .relaxed))}"
)
await client.shutdown()
