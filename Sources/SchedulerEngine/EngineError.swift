import CSchedulerIO
import Glibc

/// An error from the engine: what was attempted, on what, and why.
///
/// System failures carry the errno (``errno`` is non-zero); misuse such as sending on a closed
/// connection carries `errno == 0` and a ``reason``. The description reads like
/// `bind 127.0.0.1:80: Permission denied (EACCES, errno 13)`.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed, e.g. `"bind"`, `"recv"`, `"io_uring_queue_init"`.
    public let operation: String
    /// What the operation was applied to, e.g. `"127.0.0.1:8080"` or `"connection 127.0.0.1:50112"`.
    public let target: String
    /// The system error number, or 0 when the failure is not a system call's.
    public let errno: Int32
    /// Why it failed, in words.
    public let reason: String

    /// An error carrying a system errno; the reason is the C library's text for it.
    public init(operation: String, target: String, errno: Int32) {
        self.operation = operation
        self.target = target
        self.errno = errno
        self.reason = String(cString: strerror(errno))
    }

    /// An error that is not a system call's failure.
    public init(operation: String, target: String, reason: String) {
        self.operation = operation
        self.target = target
        self.errno = 0
        self.reason = reason
    }

    /// The errno's symbolic name (`"ECONNRESET"`), or nil when there is no errno.
    public var errnoName: String? {
        guard errno != 0, let name = csched_io_errno_name(errno) else { return nil }
        return String(cString: name)
    }

    /// `operation target: reason (NAME, errno N)`.
    public var description: String {
        guard errno != 0 else { return "\(operation) \(target): \(reason)" }
        return "\(operation) \(target): \(reason) (\(errnoName ?? "E?"), errno \(errno))"
    }
}
