// engine-lock-bench: echo ping-pong through the engine with more client connections than cores,
// where the server's handler takes a lock that other threads also take, once with the standard
// library's Synchronization.Mutex (a priority-inheriting futex on Linux) and once with the
// library's FutexMutex, in the same run. `make bench-pool` runs it after pool-bench.
//
//   engine-lock-bench [CONNECTIONS] [SECONDS]     (defaults 16 and 1.0)
import Foundation
import Glibc
import SchedulerEngine
@_spi(SchedulerInternals) import SchedulerPool
import Synchronization

/// A counter behind a lock, bumped by the handler and by the competing threads.
protocol SharedLock: Sendable {
    /// Takes the lock, does a little work (about 100 ns), releases it.
    func bump()
}

/// Some work under the lock that the optimizer cannot drop.
@inline(never) func work(_ value: inout UInt64) {
    for _ in 0..<24 { value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
}

final class StandardMutex: SharedLock {
    let lock = Mutex<UInt64>(1)
    func bump() { lock.withLock { work(&$0) } }
}

final class LibraryMutex: SharedLock {
    let lock = FutexMutex<UInt64>(1)
    func bump() { lock.withLock { work(&$0) } }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("engine-lock-bench: " + message + "\n").utf8))
    exit(1)
}

/// A blocking loopback client: connects to `port` and does 64-byte round trips until `stop`.
func client(port: UInt16, stop: borrowing Atomic<Bool>) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard fd >= 0, connected == 0 else { fail("connect: errno \(errno)") }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    defer { close(fd) }
    var message = [UInt8](repeating: 7, count: 64)
    var trips = 0
    while !stop.load(ordering: .relaxed) {
        guard send(fd, &message, 64, Int32(MSG_NOSIGNAL)) == 64 else { fail("send: errno \(errno)") }
        var got = 0
        while got < 64 {
            let count = message.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, 64 - got, 0) }
            guard count > 0 else { fail("recv: \(count), errno \(errno)") }
            got += count
        }
        trips += 1
    }
    return trips
}

/// Round trips per second with `lock` taken once per message by the handler and in a loop by
/// two competing threads.
func measure(_ lock: some SharedLock, connections: Int, seconds: Double) async -> Double {
    let server: TCPServer
    do {
        server = try TCPServer(host: "127.0.0.1", port: 0, configuration: .init(threads: 2))
    } catch {
        fail("server: \(error)")
    }
    let serving = Task {
        await server.serve { connection in
            while true {
                let bytes = try await connection.recv()
                if bytes.isEmpty { return }
                lock.bump()
                try await connection.send(bytes)
            }
        }
    }
    let stop = Atomic<Bool>(false)
    let total = Atomic<Int>(0)
    let finished = DispatchSemaphore(value: 0)
    for _ in 0..<2 {
        Thread.detachNewThread {
            while !stop.load(ordering: .relaxed) { lock.bump() }
            finished.signal()
        }
    }
    let port = server.address.port
    for _ in 0..<connections {
        Thread.detachNewThread {
            total.add(client(port: port, stop: stop), ordering: .relaxed)
            finished.signal()
        }
    }
    try? await Task.sleep(for: .seconds(seconds))
    stop.store(true, ordering: .relaxed)
    for _ in 0..<(connections + 2) { finished.wait() }
    serving.cancel()
    await serving.value
    return Double(total.load(ordering: .relaxed)) / seconds
}

@main
struct EngineLockBench {
    static func main() async {
        let arguments = CommandLine.arguments
        let connections = arguments.count > 1 ? Int(arguments[1]) ?? 16 : 16
        let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
        print("\nEngine: 64-byte echo round trips/s, \(connections) connections, 2 loops, the handler and 2 other threads share one lock")
        var standard: [Double] = []
        var library: [Double] = []
        for _ in 0..<3 {  // interleaved, best of three each: the machine is shared
            standard.append(await measure(StandardMutex(), connections: connections, seconds: seconds))
            library.append(await measure(LibraryMutex(), connections: connections, seconds: seconds))
        }
        let best = (standard.max()!, library.max()!)
        print(String(format: "Synchronization.Mutex  %9.0f round trips/s", best.0))
        print(String(format: "FutexMutex             %9.0f round trips/s  (%.2fx)", best.1, best.1 / best.0))
    }
}
