import SchedulerPool
import SystemPackage

/// Why a socket operation failed: each case names the operation and what it acted on.
public enum SocketError: Error, Sendable, Hashable {
    /// The operation is not allowed in the socket's current state (listen before bind, send on a
    /// listener, anything after close); nothing was changed.
    case illegalState(operation: SocketOperation, state: SocketState, protocol: SocketProtocol)
    /// A system call failed with `errno`; `address` is the address involved, when there is one.
    case system(operation: SocketOperation, address: SocketAddress?, errno: Errno)
    /// A receive or send timeout (or the kernel's connect timeout) expired; the socket stays usable.
    case timedOut(operation: SocketOperation, address: SocketAddress?)
    /// `bind(with:port:)` got a binding that its pool has released.
    case bindingReleased(IPBinding)
    /// An address of one family was given to a socket of the other.
    case familyMismatch(operation: SocketOperation, address: SocketAddress, socketFamily: AddressFamily)
    /// An argument was out of range; `reason` says which and why.
    case invalidArgument(operation: SocketOperation, reason: String)
    /// `SCHEDULER_CORE_BACKEND` asks for a backend that cannot be used here; `reason` says why.
    case backendUnavailable(reason: String)

    /// The operation that failed, when the error belongs to one.
    public var operation: SocketOperation? {
        switch self {
        case .illegalState(let operation, _, _), .system(let operation, _, _),
            .timedOut(let operation, _), .familyMismatch(let operation, _, _),
            .invalidArgument(let operation, _):
            return operation
        case .bindingReleased: return .bind
        case .backendUnavailable: return nil
        }
    }

    /// The system error, for `.system`.
    public var errno: Errno? {
        if case .system(_, _, let errno) = self { return errno }
        return nil
    }
}

extension SocketError: CustomStringConvertible {
    /// What was attempted, on what, and why: `bind 127.0.0.1:80: Permission denied (EACCES, errno 13)`.
    public var description: String {
        switch self {
        case .illegalState(let operation, let state, let proto):
            return "\(operation): not allowed on a \(proto) socket in state \(state)"
        case .system(let operation, let address, let errno):
            return "\(subject(operation, address)): \(errno) (\(errnoName(errno)), errno \(errno.rawValue))"
        case .timedOut(let operation, let address):
            return "\(subject(operation, address)): timed out"
        case .bindingReleased(let binding):
            return "bind \(binding.ip): the binding of \(binding.subinstance)/\(binding.resource) "
                + "was released from pool \"\(binding.pool)\""
        case .familyMismatch(let operation, let address, let family):
            return "\(operation) \(address): an \(address.family) address on an \(family) socket"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        case .backendUnavailable(let reason):
            return reason
        }
    }

    private func subject(_ operation: SocketOperation, _ address: SocketAddress?) -> String {
        guard let address else { return operation.description }
        return "\(operation) \(address)"
    }
}
