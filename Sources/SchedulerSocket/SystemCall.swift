import SchedulerPool
import SystemPackage

/// Runs a C core call until it stops failing with EINTR and returns its result or its errno.
///
/// Where EBADF and EFAULT trap, and why (`descriptor` says whose descriptor the call uses):
/// - `.owned`: the socket's own descriptor, which it created, accepted or adopted and closes
///   exactly once under its lock, on a buffer it allocated itself. EBADF or EFAULT then means a
///   bug of ours, or a descriptor closed behind the socket's back against the ownership
///   contract (`withDescriptor`, after `Socket(adopting:)`); carrying on could touch a number
///   the kernel has since handed to another file, so the call traps.
/// - `.fromCaller`: a number the caller handed in (`Socket(adopting:)`). A bad one is input,
///   so EBADF comes back as an error like any other errno.
/// Never used for close(2), which must not be retried.
func retryingInterrupts<Value: FixedWidthInteger & SignedInteger>(
    descriptor: DescriptorOrigin = .owned, _ call: () -> Value
) -> Result<Value, Errno> {
    while true {
        let result = call()
        if result >= 0 { return .success(result) }
        let errno = Errno(rawValue: Int32(truncatingIfNeeded: 0 - result))
        if errno == .interrupted { continue }
        if descriptor == .owned {
            precondition(
                errno != .badFileDescriptor && errno != .badAddress,
                "SchedulerSocket: a system call failed with \(errnoName(errno)): a descriptor or buffer was invalid")
        }
        return .failure(errno)
    }
}

/// Whose descriptor a system call uses: it decides whether EBADF is a bug (trap) or input (error).
enum DescriptorOrigin {
    /// A descriptor a `Socket` owns and closes once.
    case owned
    /// A number a caller handed in, not yet checked.
    case fromCaller
}

extension SocketError {
    /// The error for a failed call: a timeout when the errno says a configured timeout expired
    /// (EAGAIN with a timeout set, or ETIMEDOUT from connect), a system error otherwise.
    static func failed(
        _ operation: SocketOperation, _ address: SocketAddress?, _ errno: Errno,
        timeoutNanoseconds: Int64
    ) -> SocketError {
        if errno == .resourceTemporarilyUnavailable && timeoutNanoseconds > 0 {
            return .timedOut(operation: operation, address: address)
        }
        if errno == .timedOut && operation == .connect {
            return .timedOut(operation: operation, address: address)
        }
        return .system(operation: operation, address: address, errno: errno)
    }
}
