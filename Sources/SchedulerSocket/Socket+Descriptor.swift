import CSchedulerIO
@_spi(SchedulerInternals) import SchedulerPool
import SystemPackage

extension Socket {
    /// Lends the raw descriptor to `body` (to set an option this type lacks, or hand a bound
    /// socket to a library for the duration of a call). The socket keeps owning it: `body` must
    /// not close it, and the descriptor stays open until `body` returns even if another thread
    /// calls `close()`.
    public func withDescriptor<Value>(_ body: (Int32) -> Value) throws(SocketError) -> Value {
        try perform(.borrowDescriptor) { pinned in .success(body(pinned.descriptor)) }
    }

    /// Gives the descriptor up: the socket moves to `.closed` without closing it, and the caller
    /// owns it (for example to pass a pool-bound socket to SwiftNIO's `withBoundSocket`).
    public func releaseDescriptor() throws(SocketError) -> Int32 {
        try core.withLock { core throws(SocketError) -> Int32 in
            guard SocketTransitions.next(self.protocol, core.state, .releaseDescriptor) != nil,
                core.callsInFlight == 0
            else {
                throw .illegalState(operation: .releaseDescriptor, state: core.state, protocol: self.protocol)
            }
            let descriptor = core.descriptor
            core.descriptor = -1
            core.state = .closed
            return descriptor
        }
    }

    /// Takes ownership of an open TCP or UDP socket descriptor, reading its protocol, family,
    /// state (listening, connected, bound or created), addresses and timeouts from the kernel.
    /// On error the descriptor is left open and still belongs to the caller. A number that is
    /// not open throws `.system(operation: .adopt, errno: EBADF)`, one that is not a socket
    /// `ENOTSOCK`: a bad descriptor is input, never a crash.
    public convenience init(adopting descriptor: Int32) throws(SocketError) {
        try IOBackend.requireAvailable()
        func query(_ option: Int) throws(SocketError) -> Int32 {
            try retryingInterrupts(descriptor: .fromCaller) { csched_io_get_option(descriptor, Int32(option)) }
                .mapError { SocketError.system(operation: .adopt, address: nil, errno: $0) }.get()
        }
        guard descriptor >= 0 else {
            throw .invalidArgument(operation: .adopt, reason: "descriptor must not be negative, got \(descriptor)")
        }
        let type = try query(CSCHED_IO_OPTION_TYPE)
        let proto: SocketProtocol
        switch type {
        case 1: proto = .tcp  // SOCK_STREAM
        case 2: proto = .udp  // SOCK_DGRAM
        default:
            throw .invalidArgument(
                operation: .adopt, reason: "descriptor \(descriptor) is neither a stream nor a datagram socket")
        }
        let family: AddressFamily
        switch try query(CSCHED_IO_OPTION_DOMAIN) {
        case 4: family = .ipv4
        case 6: family = .ipv6
        default:
            throw .invalidArgument(operation: .adopt, reason: "descriptor \(descriptor) is not an IPv4 or IPv6 socket")
        }
        let local = Socket.localAddress(of: descriptor)
        let remote = Socket.peerAddress(of: descriptor)
        let state: SocketState
        if proto == .tcp, try query(CSCHED_IO_OPTION_ACCEPT_CONN) != 0 {
            state = .listening
        } else if remote != nil {
            state = .connected
        } else if let local, local.port != 0 || !local.ip.isUnspecified {
            state = .bound
        } else {
            state = .created
        }
        let receiveTimeout = max(0, csched_io_get_timeout(descriptor, 1))
        let sendTimeout = max(0, csched_io_get_timeout(descriptor, 0))
        self.init(
            descriptor: descriptor, protocol: proto, family: family, state: state,
            local: state == .created ? nil : local, remote: remote,
            receiveTimeout: receiveTimeout, sendTimeout: sendTimeout)
    }
}
