import CSchedulerIO
@_spi(SchedulerInternals) import SchedulerPool
import Synchronization
import SystemPackage

/// A blocking TCP or UDP socket that owns its descriptor: `socket() -> bind() -> listen()/connect()
/// -> send()/recv() -> close()`, on io_uring or the POSIX calls (see `IOBackend`).
///
/// The socket closes its descriptor exactly once, in `close()` or when the last reference goes.
/// It may be shared between threads: a `close()` while another thread is blocked in `recv` or
/// `accept` shuts the socket down to wake that call, and the descriptor is closed when the last
/// call has returned, so its number is never reused under a running call.
public final class Socket: Sendable {
    /// `.tcp` or `.udp`.
    public let `protocol`: SocketProtocol
    /// `.ipv4` or `.ipv6`.
    public let family: AddressFamily

    let core: FutexMutex<SocketCore>

    init(
        descriptor: Int32, protocol proto: SocketProtocol, family: AddressFamily,
        state: SocketState, local: SocketAddress? = nil, remote: SocketAddress? = nil,
        receiveTimeout: Int64 = 0, sendTimeout: Int64 = 0
    ) {
        self.protocol = proto
        self.family = family
        core = FutexMutex(
            SocketCore(
                state: state, descriptor: descriptor, local: local, remote: remote,
                receiveTimeoutNanoseconds: receiveTimeout, sendTimeoutNanoseconds: sendTimeout))
    }

    deinit {
        let descriptor = core.withLock { $0.descriptor }
        if descriptor >= 0 { _ = csched_io_close(descriptor) }
    }

    // MARK: Creation

    /// A new TCP socket of `family`. The corresponding C function is `socket`.
    public static func tcp(family: AddressFamily) throws(SocketError) -> Socket {
        try open(.tcp, family)
    }

    /// A new UDP socket of `family`. The corresponding C function is `socket`.
    public static func udp(family: AddressFamily) throws(SocketError) -> Socket {
        try open(.udp, family)
    }

    /// A new TCP socket for IPv4.
    public static func tcpV4() throws(SocketError) -> Socket { try open(.tcp, .ipv4) }
    /// A new TCP socket for IPv6.
    public static func tcpV6() throws(SocketError) -> Socket { try open(.tcp, .ipv6) }
    /// A new UDP socket for IPv4.
    public static func udpV4() throws(SocketError) -> Socket { try open(.udp, .ipv4) }
    /// A new UDP socket for IPv6.
    public static func udpV6() throws(SocketError) -> Socket { try open(.udp, .ipv6) }

    private static func open(_ proto: SocketProtocol, _ family: AddressFamily) throws(SocketError) -> Socket {
        try IOBackend.requireAvailable()
        let descriptor = try retryingInterrupts {
            csched_io_socket(family.cFamily, proto == .tcp ? 1 : 0)
        }.mapError { SocketError.system(operation: .create, address: nil, errno: $0) }.get()
        if proto == .tcp {
            // Servers restarted within TIME_WAIT must be able to bind their port again.
            let result = csched_io_set_option(descriptor, Int32(CSCHED_IO_OPTION_REUSE_ADDRESS), 1)
            if result < 0 {
                _ = csched_io_close(descriptor)
                throw .system(operation: .create, address: nil, errno: Errno(rawValue: -result))
            }
        }
        return Socket(descriptor: descriptor, protocol: proto, family: family, state: .created)
    }

    // MARK: Queries

    /// The state the socket is in.
    public var state: SocketState { core.withLock { $0.state } }
    /// The descriptor, or -1 once closed or given up; borrow it with `withDescriptor(_:)`.
    public var handle: Int32 { core.withLock { $0.descriptor } }
    /// The local address once bound or connected (the port the kernel chose for port 0).
    public var localAddress: SocketAddress? { core.withLock { $0.local } }
    /// The local IP once bound or connected.
    public var localIP: IPAddress? { localAddress?.ip }
    /// The local port once bound or connected.
    public var localPort: UInt16? { localAddress?.port }
    /// The peer of a connected socket.
    public var remoteAddress: SocketAddress? { core.withLock { $0.remote } }
    /// True while connected.
    public var isConnected: Bool { state == .connected }
    /// True while the socket has a local address: bound, listening or connected.
    public var isBound: Bool {
        switch state {
        case .bound, .listening, .connected: return true
        case .created, .closed: return false
        }
    }
    /// True while listening for connections.
    public var isListening: Bool { state == .listening }

    // MARK: Close

    /// Closes the socket; it is then in state `.closed` and every further operation throws.
    /// Calls blocked in other threads are woken and throw. Never retried on EINTR (the descriptor
    /// is gone either way). The corresponding C function is `close`.
    public func close() throws(SocketError) {
        var descriptorToClose: Int32 = -1
        var local: SocketAddress?
        try core.withLock { core throws(SocketError) in
            guard SocketTransitions.next(self.protocol, core.state, .close) != nil else {
                throw .illegalState(operation: .close, state: core.state, protocol: self.protocol)
            }
            core.state = .closed
            local = core.local
            if core.callsInFlight == 0 {
                descriptorToClose = core.descriptor
                core.descriptor = -1
            } else {
                // Under the lock, so the last running call cannot close the number first.
                core.closeWhenIdle = true
                _ = csched_io_shutdown(core.descriptor)
            }
        }
        guard descriptorToClose >= 0 else { return }
        let result = csched_io_close(descriptorToClose)
        let errno = Errno(rawValue: -result)
        if result < 0 && errno != .interrupted {
            // Our own descriptor, closed once under the lock: EBADF means it was closed behind our
            // back (or a bug of ours), and the number may already be another file's.
            precondition(errno != .badFileDescriptor, "SchedulerSocket: close found its descriptor already closed")
            throw .system(operation: .close, address: local, errno: errno)
        }
    }
}

/// The mutable part of a socket, guarded by its mutex.
struct SocketCore {
    var state: SocketState
    var descriptor: Int32
    var local: SocketAddress?
    var remote: SocketAddress?
    var receiveTimeoutNanoseconds: Int64
    var sendTimeoutNanoseconds: Int64
    /// Calls running on the descriptor outside the lock.
    var callsInFlight = 0
    /// `close()` came while calls were running; the last one closes the descriptor.
    var closeWhenIdle = false
}
