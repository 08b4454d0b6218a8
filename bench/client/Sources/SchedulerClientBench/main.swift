// `SchedulerClientBench URL CONNECTIONS SECONDS`: our HTTPClient (one engine loop, a pool of
// CONNECTIONS keep-alive connections to the one host) in the client bench.
import ClientBenchSupport
import SchedulerCore

let arguments = ClientBenchArguments(program: "SchedulerClientBench")
var configuration = HTTPClient.Configuration()
configuration.maxConnectionsPerKey = arguments.connections
configuration.userAgent = nil
let client = try HTTPClient(configuration: configuration)
let request = try HTTPClientRequest(url: arguments.url)
await runClientBench(arguments) {
    let response = try await client.execute(request)
    guard response.status == .ok else { throw HTTPClientBenchFailure(status: response.status.code) }
    return try await response.body.collect(upTo: 1 << 20).count
}
await client.shutdown()

/// A response that was not 200.
struct HTTPClientBenchFailure: Error {
    let status: Int
}
