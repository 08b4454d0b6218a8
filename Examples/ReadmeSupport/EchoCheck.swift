import Dispatch
import SchedulerCore

#if canImport(Glibc)
    import Glibc
#endif

/// Connects to the README's echo server at `host`:`port` from another thread, checks that 64 KiB
/// of bytes come back unchanged, then ends the process: with status 0 if they did, else 1.
public func exitAfterCheckingEcho(name: String, host: String, port: UInt16) {
    DispatchQueue.global().async {
        var status: Int32 = 1
        do {
            let client = try connect(host: host, port: port)
            let sent = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try client.send(sent)
            var received: [UInt8] = []
            try client.setReceiveTimeout(.seconds(10))
            while received.count < sent.count {
                let chunk = try client.recv(maxLength: 65_536)
                if chunk.isEmpty { break }
                received += chunk
            }
            if received == sent {
                print("\(name): OK: \(sent.count) bytes echoed by the server on \(host):\(port)")
                status = 0
            } else {
                print("\(name): FAILED: \(received.count) of \(sent.count) bytes came back, or other bytes")
            }
            try client.close()
        } catch {
            print("\(name): FAILED: \(error)")
        }
        exit(status)
    }
}

/// A TCP connection to `host`:`port`, retried for up to 5 s while the server starts.
private func connect(host: String, port: UInt16) throws -> Socket {
    let address = try SocketAddress(host: host, port: port)
    for _ in 0..<50 {
        let client = try Socket.tcpV4()
        do {
            try client.connect(to: address)
            return client
        } catch {
            try client.close()
            usleep(100_000)
        }
    }
    let client = try Socket.tcpV4()
    try client.connect(to: address)
    return client
}
