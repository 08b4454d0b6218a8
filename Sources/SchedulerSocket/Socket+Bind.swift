import CSchedulerIO
import SchedulerPool

extension Socket {
    /// Binds to `ip` and `port` (0 lets the kernel choose; `localPort` then tells which).
    /// The corresponding C function is `bind`.
    public func bind(to ip: IPAddress, port: UInt16) throws(SocketError) {
        try bind(SocketAddress(ip: ip, port: port))
    }

    /// Binds to `address`. The corresponding C function is `bind`.
    public func bind(_ address: SocketAddress) throws(SocketError) {
        try perform(.bind) { pinned -> Result<SocketAddress, SocketError> in
            if let mismatch = checkFamily(.bind, address) { return .failure(mismatch) }
            var cAddress = csched_io_address(address)
            return retryingInterrupts { csched_io_bind(pinned.descriptor, &cAddress) }
                .map { _ in Socket.localAddress(of: pinned.descriptor) ?? address }
                .mapError { .system(operation: .bind, address: address, errno: $0) }
        } onSuccess: { core, local in
            core.local = local
        }
    }

    /// Binds to the address a pool handed out in `binding`; refuses a binding that has since
    /// been released (so one tenant cannot bind an address that went back to the pool).
    public func bind(with binding: IPBinding, port: UInt16) throws(SocketError) {
        guard binding.isActive else { throw .bindingReleased(binding) }
        try bind(SocketAddress(ip: binding.ip, port: port))
    }

    /// Starts accepting TCP connections, `backlog` of them queued at most.
    /// The corresponding C function is `listen`.
    public func listen(backlog: Int = 128) throws(SocketError) {
        try perform(.listen) { pinned -> Result<Void, SocketError> in
            guard backlog >= 0 else {
                return .failure(
                    .invalidArgument(operation: .listen, reason: "backlog must not be negative, got \(backlog)"))
            }
            let clamped = Int32(clamping: backlog)
            return retryingInterrupts { csched_io_listen(pinned.descriptor, clamped) }
                .map { _ in () }
                .mapError { .system(operation: .listen, address: pinned.local, errno: $0) }
        }
    }
}
