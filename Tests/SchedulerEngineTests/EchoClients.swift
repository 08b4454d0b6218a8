import Dispatch
import Glibc
import SchedulerEngine
import TestSupport
import Testing

/// What a batch of echo clients saw: how many connections got back exactly what they sent.
struct EchoOutcome {
    var verified = 0
    var mismatched = 0
    var failures: [String] = []
}

/// One nonblocking client: streams `total` random bytes, reads the echo, hashes both sides.
private struct EchoClient {
    let fd: Int32
    var chunk: [UInt8] = []
    var chunkOffset = 0
    var sent = 0
    var received = 0
    var sentHash = Hasher()
    var receivedHash = Hasher()
    var done = false
}

/// Opens `count` connections to 127.0.0.1:`port` and echoes `bytesEach` random bytes on each,
/// all at once from one thread with poll(2); verifies every echo by hash. Bounded by `seconds`.
func runEchoClients(port: UInt16, count: Int, bytesEach: Int, seconds: Double) async -> EchoOutcome {
    await withCheckedContinuation { continuation in
        // A thread of its own: poll(2) blocks, and the test's executor threads stay free.
        DispatchQueue.global().async {
            continuation.resume(
                returning: echoClientsBlocking(
                    port: port, count: count, bytesEach: bytesEach, seconds: seconds))
        }
    }
}

/// A one-loop server on a free loopback port, a client connected to it (its descriptor, which
/// the caller closes) and the server side of that connection.
func acceptedConnection() async throws -> (server: TCPServer, fd: Int32, connection: TCPConnection) {
    let server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 1))
    var iterator = server.connections.makeAsyncIterator()
    let fd = connectLoopback(port: server.address.port)
    #expect(fd >= 0)
    let connection = try #require(await iterator.next())
    return (server, fd, connection)
}

private func echoClientsBlocking(port: UInt16, count: Int, bytesEach: Int, seconds: Double)
    -> EchoOutcome
{
    var outcome = EchoOutcome()
    let random = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    defer { close(random) }
    var clients: [EchoClient] = []
    for _ in 0..<count {
        let fd = connectLoopback(port: port)
        if fd < 0 {
            outcome.failures.append("connect: errno \(-fd)")
            continue
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        clients.append(EchoClient(fd: fd))
    }
    let deadline = monotonicSeconds() + seconds
    var buffer = [UInt8](repeating: 0, count: 65536)
    var pollSet = clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN | POLLOUT), revents: 0) }
    var remaining = clients.count
    while remaining > 0 {
        if monotonicSeconds() > deadline {
            outcome.failures.append("\(remaining) connections unfinished after \(seconds) s")
            break
        }
        for index in pollSet.indices {
            let client = clients[index]
            pollSet[index].events =
                client.done ? 0 : Int16(POLLIN) | (client.sent < bytesEach ? Int16(POLLOUT) : 0)
            pollSet[index].fd = client.done ? -1 : client.fd
        }
        let ready = poll(&pollSet, nfds_t(pollSet.count), 200)
        if ready <= 0 { continue }
        for index in pollSet.indices where pollSet[index].revents != 0 {
            var client = clients[index]
            defer { clients[index] = client }
            if pollSet[index].revents & Int16(POLLOUT) != 0 && client.sent < bytesEach {
                if client.chunkOffset == client.chunk.count {
                    let size = min(65536, bytesEach - client.sent)
                    client.chunk = [UInt8](repeating: 0, count: size)
                    _ = client.chunk.withUnsafeMutableBytes { read(random, $0.baseAddress, size) }
                    client.chunk.withUnsafeBytes { client.sentHash.combine(bytes: $0) }
                    client.chunkOffset = 0
                }
                let n = client.chunk.withUnsafeBytes {
                    send(
                        client.fd, $0.baseAddress! + client.chunkOffset, $0.count - client.chunkOffset,
                        Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    client.chunkOffset += n
                    client.sent += n
                }
            }
            if pollSet[index].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = buffer.withUnsafeMutableBytes { read(client.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffer.withUnsafeBytes {
                        client.receivedHash.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<n]))
                    }
                    client.received += n
                } else if n == 0 || (n < 0 && errno != EAGAIN) {
                    outcome.failures.append("connection closed early after \(client.received) bytes")
                    client.done = true
                    remaining -= 1
                }
                if !client.done && client.received >= bytesEach {
                    client.done = true
                    remaining -= 1
                    // Hasher is stream-based: equal byte streams give equal hashes whatever the chunking.
                    if client.received == bytesEach
                        && client.sentHash.finalize() == client.receivedHash.finalize()
                    {
                        outcome.verified += 1
                    } else {
                        outcome.mismatched += 1
                    }
                }
            }
        }
    }
    for client in clients { close(client.fd) }
    return outcome
}
