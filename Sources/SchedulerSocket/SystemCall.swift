import SchedulerPool
import SystemPackage

/// Runs a C core call until it stops failing with EINTR and returns its result or its errno.
/// EBADF and EFAULT trap: with one owner per descriptor they can only mean a bug of ours (or a
/// descriptor closed behind the socket's back), and carrying on could touch a reused number.
/// Never used for close(2), which must not be retried.
func retryingInterrupts<Value: FixedWidthInteger & SignedInteger>(_ call: () -> Value) -> Result<Value, Errno> {
    while true {
        let result = call()
        if result >= 0 { return .success(result) }
        let errno = Errno(rawValue: Int32(truncatingIfNeeded: 0 - result))
        if errno == .interrupted { continue }
        precondition(
            errno != .badFileDescriptor && errno != .badAddress,
            "SchedulerSocket: a system call failed with \(errnoName(errno)): a descriptor or buffer was invalid")
        return .failure(errno)
    }
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
