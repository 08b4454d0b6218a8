import CSchedulerIO
@_spi(SchedulerInternals) import SchedulerPool

/// What a call may use while it runs outside the lock.
struct PinnedCall {
    let descriptor: Int32
    let local: SocketAddress?
    let remote: SocketAddress?
    let receiveTimeoutNanoseconds: Int64
    let sendTimeoutNanoseconds: Int64
}

extension Socket {
    /// Runs one operation: asks the state machine, pins the descriptor while `body` runs, then
    /// moves to the next state and records what `onSuccess` learned. An illegal operation throws
    /// before anything is touched; a call overtaken by `close()` throws `.illegalState(…closed)`.
    @discardableResult
    func perform<Value>(
        _ operation: SocketOperation,
        _ body: (PinnedCall) -> Result<Value, SocketError>,
        onSuccess: (inout SocketCore, Value) -> Void = { _, _ in }
    ) throws(SocketError) -> Value {
        let (pinned, next) = try core.withLock { core throws(SocketError) -> (PinnedCall, SocketState) in
            guard let next = SocketTransitions.next(self.protocol, core.state, operation) else {
                throw .illegalState(operation: operation, state: core.state, protocol: self.protocol)
            }
            core.callsInFlight += 1
            let pinned = PinnedCall(
                descriptor: core.descriptor, local: core.local, remote: core.remote,
                receiveTimeoutNanoseconds: core.receiveTimeoutNanoseconds,
                sendTimeoutNanoseconds: core.sendTimeoutNanoseconds)
            return (pinned, next)
        }
        let result = body(pinned)
        var descriptorToClose: Int32 = -1
        let closedMeanwhile = core.withLock { core -> Bool in
            core.callsInFlight -= 1
            if core.state == .closed {
                if core.closeWhenIdle && core.callsInFlight == 0 {
                    descriptorToClose = core.descriptor
                    core.descriptor = -1
                    core.closeWhenIdle = false
                }
                return true
            }
            if case .success(let value) = result {
                core.state = next
                onSuccess(&core, value)
            }
            return false
        }
        if descriptorToClose >= 0 { _ = csched_io_close(descriptorToClose) }
        if closedMeanwhile {
            throw .illegalState(operation: operation, state: .closed, protocol: self.protocol)
        }
        return try result.get()
    }

    /// Fails with `familyMismatch` unless `address` is of this socket's family.
    func checkFamily(_ operation: SocketOperation, _ address: SocketAddress) -> SocketError? {
        address.family == family
            ? nil : .familyMismatch(operation: operation, address: address, socketFamily: family)
    }

    /// The address the kernel gave `descriptor` (getsockname), or nil.
    static func localAddress(of descriptor: Int32) -> SocketAddress? {
        var address = csched_io_address()
        return csched_io_local_address(descriptor, &address) == 0 ? address.socketAddress : nil
    }

    /// The peer of `descriptor` (getpeername), or nil.
    static func peerAddress(of descriptor: Int32) -> SocketAddress? {
        var address = csched_io_address()
        return csched_io_peer_address(descriptor, &address) == 0 ? address.socketAddress : nil
    }
}
