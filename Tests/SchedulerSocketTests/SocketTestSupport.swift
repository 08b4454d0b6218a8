import Foundation
@_spi(SchedulerInternals) import SchedulerPool
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

/// Waits (at most `seconds`) until a call on `socket` is running in another thread, so that a
/// test closes under a blocked call instead of guessing with a sleep; false when none started.
func waitUntilInFlight(_ socket: Socket, seconds: Double = 5) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while socket.core.withLock({ $0.callsInFlight }) == 0 {
        if Date() > deadline { return false }
        usleep(500)
    }
    return true
}
