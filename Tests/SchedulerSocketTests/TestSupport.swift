import Foundation
import SchedulerPool
import Synchronization
import SystemPackage
import Testing

@testable import SchedulerSocket

/// Hands every test its own loopback addresses (127.77.x.y), so tests never share a port.
enum LoopbackAddresses {
    private static let counter = Atomic<Int>(0)

    /// A fresh IPv4 address in 127.77.0.0/16, local on every Linux machine.
    static func next() -> IPAddress {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return IPAddress(ipv4: 0x7F4D_0000 | UInt32(n / 250 % 250) << 8 | UInt32(n % 250 + 1))
    }

    /// A fresh address with port 0 (the kernel picks the port).
    static func nextSocketAddress() -> SocketAddress { SocketAddress(ip: next(), port: 0) }
}

/// The number of descriptors this process has open, from /proc/self/fd. Per-thread io_uring
/// instances (`anon_inode:[io_uring]`) are left out: each thread keeps its ring for its
/// lifetime, and a thread's ring closes only after the thread has signalled its result.
func openDescriptorCount() -> Int {
    descriptorTargets().filter { $0 != "anon_inode:[io_uring]" }.count
}

/// The number of socket descriptors this process has open (`socket:[inode]` in /proc/self/fd).
func openSocketCount() -> Int {
    descriptorTargets().filter { $0.hasPrefix("socket:") }.count
}

/// What each entry of /proc/self/fd points to.
private func descriptorTargets() -> [String] {
    let directory = "/proc/self/fd"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    // The listing's own descriptor is already closed and drops out here.
    return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
}

/// Whether `descriptor` is an open descriptor of this process.
func isOpen(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFD) >= 0 }

/// Runs `body` on its own thread (blocking socket calls must not tie up the test's executor).
final class Background<Value: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try body() }
            finished.signal()
        }
        thread.start()
    }

    /// Waits for the thread and returns what `body` returned or rethrows what it threw.
    func value() throws -> Value {
        finished.wait()
        return try result!.get()
    }
}

/// A listening TCP socket on a fresh loopback address, and its address.
func makeListener(family: AddressFamily = .ipv4) throws -> (Socket, SocketAddress) {
    let listener = try Socket.tcp(family: family)
    try listener.bind(family == .ipv4 ? LoopbackAddresses.nextSocketAddress() : SocketAddress(host: "::1", port: 0))
    try listener.listen(backlog: 64)
    return (listener, listener.localAddress!)
}

/// A connected TCP pair: (client, accepted server side), plus the listener to keep alive.
func makeConnectedPair(family: AddressFamily = .ipv4) throws -> (client: Socket, server: Socket, listener: Socket) {
    let (listener, address) = try makeListener(family: family)
    let client = try Socket.tcp(family: family)
    try client.connect(to: address)
    let server = try listener.accept()
    return (client, server, listener)
}

/// The SocketError `body` throws, or nil (recorded as an issue) when it does not throw one.
func socketError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(SocketError) -> T
) -> SocketError? {
    do {
        _ = try body()
        Issue.record("expected a SocketError, got success", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
