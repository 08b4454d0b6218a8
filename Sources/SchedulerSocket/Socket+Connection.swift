import CSchedulerIO
import SchedulerPool

extension Socket {
    /// Waits for the next TCP connection and returns it as a socket in state `.connected`; it
    /// inherits the listener's timeouts (as the kernel's accepted socket does). A receive
    /// timeout bounds the wait. The corresponding C function is `accept4`.
    public func accept() throws(SocketError) -> Socket {
        let family = self.family
        return try perform(.accept) { pinned -> Result<Socket, SocketError> in
            var peer = csched_io_address()
            return retryingInterrupts {
                csched_io_accept(pinned.descriptor, &peer, pinned.receiveTimeoutNanoseconds)
            }
            .mapError {
                SocketError.failed(.accept, pinned.local, $0, timeoutNanoseconds: pinned.receiveTimeoutNanoseconds)
            }
            .map { descriptor in
                Socket(
                    descriptor: descriptor, protocol: .tcp, family: family, state: .connected,
                    local: Socket.localAddress(of: descriptor), remote: peer.socketAddress,
                    receiveTimeout: pinned.receiveTimeoutNanoseconds,
                    sendTimeout: pinned.sendTimeoutNanoseconds)
            }
        }
    }

    /// Connects to `address` (TCP: the handshake; UDP: fixes the peer). A send timeout bounds
    /// the wait. The corresponding C function is `connect`.
    public func connect(to address: SocketAddress) throws(SocketError) {
        try perform(.connect) { pinned -> Result<SocketAddress?, SocketError> in
            if let mismatch = checkFamily(.connect, address) { return .failure(mismatch) }
            var cAddress = csched_io_address(address)
            return retryingInterrupts {
                csched_io_connect(pinned.descriptor, &cAddress, pinned.sendTimeoutNanoseconds)
            }
            .mapError {
                SocketError.failed(.connect, address, $0, timeoutNanoseconds: pinned.sendTimeoutNanoseconds)
            }
            .map { _ in Socket.localAddress(of: pinned.descriptor) }
        } onSuccess: { core, local in
            core.local = local
            core.remote = address
        }
    }
}
