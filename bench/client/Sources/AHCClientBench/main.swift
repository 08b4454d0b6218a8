// `AHCClientBench URL CONNECTIONS SECONDS`: AsyncHTTPClient 1.37 (one-thread event loop group, a
// pool of CONNECTIONS HTTP/1.1 keep-alive connections to the one host), the client bench's peer.
import AsyncHTTPClient
import ClientBenchSupport
import NIOCore
import NIOPosix

let arguments = ClientBenchArguments(program: "AHCClientBench")
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(
    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: arguments.connections)
configuration.httpVersion = .http1Only
let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
let request = HTTPClientRequest(url: arguments.url)
await runClientBench(arguments) {
    let response = try await client.execute(request, timeout: .seconds(30))
    guard response.status == .ok else { throw AHCBenchFailure(status: response.status.code) }
    return try await response.body.collect(upTo: 1 << 20).readableBytes
}
try await client.shutdown()
try await group.shutdownGracefully()

/// A response that was not 200.
struct AHCBenchFailure: Error {
    let status: UInt
}
