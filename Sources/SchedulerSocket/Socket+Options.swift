import CSchedulerIO
@_spi(SchedulerInternals) import SchedulerPool
import SystemPackage

extension Socket {
    /// SO_REUSEADDR: bind a port whose old connections are still in TIME_WAIT. TCP sockets have it
    /// from creation; it must be set before `bind`. The corresponding C function is `setsockopt`.
    public func setReuseAddress(_ enabled: Bool) throws(SocketError) {
        try setOption(CSCHED_IO_OPTION_REUSE_ADDRESS, enabled ? 1 : 0)
    }

    /// TCP_NODELAY: send small writes at once instead of coalescing them (Nagle's algorithm).
    public func setNoDelay(_ enabled: Bool) throws(SocketError) {
        try setOption(CSCHED_IO_OPTION_NO_DELAY, enabled ? 1 : 0)
    }

    /// IPV6_V6ONLY: an IPv6 socket bound to `::` accepts IPv6 only, not IPv4-mapped peers.
    /// Must be set before `bind`.
    public func setIPv6Only(_ enabled: Bool) throws(SocketError) {
        try setOption(CSCHED_IO_OPTION_V6_ONLY, enabled ? 1 : 0)
    }

    /// IP_FREEBIND (IPV6_FREEBIND for IPv6): allow binding an address not (yet) configured on
    /// this host, such as a pool address routed here later. Must be set before `bind`.
    public func setFreeBind(_ enabled: Bool) throws(SocketError) {
        try setOption(CSCHED_IO_OPTION_FREE_BIND, enabled ? 1 : 0)
    }

    /// SO_LINGER with a zero timeout: `close()` resets the connection (the peer sees
    /// ECONNRESET) instead of the orderly shutdown.
    public func setResetOnClose(_ enabled: Bool) throws(SocketError) {
        try setOption(CSCHED_IO_OPTION_LINGER_ZERO, enabled ? 1 : 0)
    }

    /// SO_RCVTIMEO: `recv`, `recvFrom` and `accept` throw `.timedOut` after waiting `timeout`
    /// (nil waits forever); the socket stays usable. Works on both backends.
    public func setReceiveTimeout(_ timeout: Duration?) throws(SocketError) {
        try setTimeout(receive: true, timeout)
    }

    /// SO_SNDTIMEO: `send`, `send(_:to:)` and `connect` throw `.timedOut` after waiting `timeout`
    /// (nil waits forever). Works on both backends.
    public func setSendTimeout(_ timeout: Duration?) throws(SocketError) {
        try setTimeout(receive: false, timeout)
    }

    /// The receive timeout, nil when calls wait forever.
    public var receiveTimeout: Duration? {
        core.withLock { Socket.duration($0.receiveTimeoutNanoseconds) }
    }

    /// The send timeout, nil when calls wait forever.
    public var sendTimeout: Duration? {
        core.withLock { Socket.duration($0.sendTimeoutNanoseconds) }
    }

    private func setOption(_ option: Int, _ value: Int32) throws(SocketError) {
        try perform(.setOption) { pinned -> Result<Void, SocketError> in
            retryingInterrupts { csched_io_set_option(pinned.descriptor, Int32(option), value) }
                .map { _ in () }
                .mapError { .system(operation: .setOption, address: pinned.local, errno: $0) }
        }
    }

    private func setTimeout(receive: Bool, _ timeout: Duration?) throws(SocketError) {
        var nanoseconds: Int64 = 0
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            guard timeout > .zero, seconds < Int64.max / 1_000_000_000 - 1 else {
                throw .invalidArgument(
                    operation: .setOption, reason: "a timeout must be positive and finite, got \(timeout)")
            }
            nanoseconds = max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        try perform(.setOption) { pinned -> Result<Int64, SocketError> in
            // The kernel's SO_RCVTIMEO/SO_SNDTIMEO bound the POSIX calls (and anyone borrowing the
            // descriptor); the stored value bounds the io_uring calls through a linked timeout.
            retryingInterrupts { csched_io_set_timeout(pinned.descriptor, receive ? 1 : 0, nanoseconds) }
                .map { _ in nanoseconds }
                .mapError { .system(operation: .setOption, address: pinned.local, errno: $0) }
        } onSuccess: { core, value in
            if receive { core.receiveTimeoutNanoseconds = value } else { core.sendTimeoutNanoseconds = value }
        }
    }

    static func duration(_ nanoseconds: Int64) -> Duration? {
        nanoseconds > 0 ? .nanoseconds(nanoseconds) : nil
    }
}
