import CSchedulerIO
import SchedulerPool

extension Socket {
    /// Sends `bytes` to the connected peer. TCP sends every byte (continuing short sends) or
    /// throws; UDP sends one datagram. Never raises SIGPIPE: a closed peer is `EPIPE`.
    /// The corresponding C function is `send` with `MSG_NOSIGNAL`.
    @discardableResult
    public func send(_ bytes: [UInt8]) throws(SocketError) -> Int {
        let stream = self.protocol == .tcp
        return try perform(.send) { pinned -> Result<Int, SocketError> in
            bytes.withUnsafeBytes { raw -> Result<Int, SocketError> in
                if stream && raw.isEmpty { return .success(0) }
                var offset = 0
                repeat {
                    let sent = retryingInterrupts {
                        csched_io_send(
                            pinned.descriptor, raw.baseAddress.map { $0 + offset } ?? UnsafeRawPointer(bitPattern: 1)!,
                            raw.count - offset, pinned.sendTimeoutNanoseconds)
                    }
                    switch sent {
                    case .success(let count): offset += count
                    case .failure(let errno):
                        return .failure(
                            .failed(.send, pinned.remote, errno, timeoutNanoseconds: pinned.sendTimeoutNanoseconds))
                    }
                } while stream && offset < raw.count
                return .success(offset)
            }
        }
    }

    /// Sends the UTF-8 bytes of `text`; see `send(_:)`.
    @discardableResult
    public func send(_ text: String) throws(SocketError) -> Int {
        try send(Array(text.utf8))
    }

    /// Sends any sequence of bytes; see `send(_:)`.
    @discardableResult
    public func send<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(SocketError) -> Int {
        try send(Array(bytes))
    }

    /// Receives up to `maxLength` bytes; `[]` means the peer closed the stream. A receive timeout
    /// throws `.timedOut` and leaves the socket usable. The corresponding C function is `recv`.
    public func recv(maxLength: Int) throws(SocketError) -> [UInt8] {
        guard maxLength > 0 else {
            throw .invalidArgument(operation: .recv, reason: "maxLength must be positive, got \(maxLength)")
        }
        return try perform(.recv) { pinned -> Result<[UInt8], SocketError> in
            var failure: SocketError?
            let bytes = [UInt8](unsafeUninitializedCapacity: maxLength) { buffer, count in
                switch retryingInterrupts({
                    csched_io_recv(pinned.descriptor, buffer.baseAddress, maxLength, pinned.receiveTimeoutNanoseconds)
                }) {
                case .success(let received): count = received
                case .failure(let errno):
                    count = 0
                    failure = .failed(.recv, pinned.remote, errno, timeoutNanoseconds: pinned.receiveTimeoutNanoseconds)
                }
            }
            if let failure { return .failure(failure) }
            return .success(bytes)
        }
    }

    /// Sends one datagram to `address` (UDP; an unbound socket gets a port from the kernel).
    /// The corresponding C function is `sendmsg`.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress) throws(SocketError) -> Int {
        try perform(.sendTo) { pinned -> Result<Int, SocketError> in
            if let mismatch = checkFamily(.sendTo, address) { return .failure(mismatch) }
            var cAddress = csched_io_address(address)
            return bytes.withUnsafeBytes { raw in
                retryingInterrupts {
                    csched_io_sendmsg(
                        pinned.descriptor, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, raw.count,
                        &cAddress, pinned.sendTimeoutNanoseconds)
                }
                .mapError { .failed(.sendTo, address, $0, timeoutNanoseconds: pinned.sendTimeoutNanoseconds) }
            }
        } onSuccess: { core, _ in
            if core.local == nil { core.local = Socket.localAddress(of: core.descriptor) }
        }
    }

    /// Sends the UTF-8 bytes of `text` to `address`; see `send(_:to:)`.
    @discardableResult
    public func send(_ text: String, to address: SocketAddress) throws(SocketError) -> Int {
        try send(Array(text.utf8), to: address)
    }

    /// Receives one datagram of up to `maxLength` bytes (the rest of a longer one is dropped)
    /// and who sent it. The corresponding C function is `recvmsg`.
    public func recvFrom(maxLength: Int) throws(SocketError) -> (data: [UInt8], sender: SocketAddress) {
        guard maxLength > 0 else {
            throw .invalidArgument(operation: .recvFrom, reason: "maxLength must be positive, got \(maxLength)")
        }
        return try perform(.recvFrom) { pinned -> Result<(data: [UInt8], sender: SocketAddress), SocketError> in
            var failure: SocketError?
            var sender = csched_io_address()
            let bytes = [UInt8](unsafeUninitializedCapacity: maxLength) { buffer, count in
                switch retryingInterrupts({
                    csched_io_recvmsg(
                        pinned.descriptor, buffer.baseAddress, maxLength, &sender, pinned.receiveTimeoutNanoseconds)
                }) {
                case .success(let received): count = received
                case .failure(let errno):
                    count = 0
                    failure = .failed(
                        .recvFrom, pinned.local, errno, timeoutNanoseconds: pinned.receiveTimeoutNanoseconds)
                }
            }
            if let failure { return .failure(failure) }
            guard let from = sender.socketAddress else {
                return .failure(.system(operation: .recvFrom, address: pinned.local, errno: .addressFamilyNotSupported))
            }
            return .success((data: bytes, sender: from))
        }
    }
}
