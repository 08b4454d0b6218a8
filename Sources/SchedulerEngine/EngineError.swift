import CSchedulerIO
import SystemPackage

/// An error from the engine: what was attempted, on what, and why.
///
/// System failures carry the errno as swift-system's `Errno` (``errno`` is non-nil); misuse such
/// as sending on a closed connection carries no errno and a ``reason``. The description reads like
/// `connect 127.0.0.1:80: Connection refused (ECONNREFUSED, errno 111)`.
///
/// `catch EngineError.errno(.connectionRefused)` catches the engine's errors with that errno.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed.
    public let operation: EngineOperation
    /// What the operation was applied to, e.g. `"127.0.0.1:8080"` or `"connection 127.0.0.1:50112"`.
    public let target: String
    /// The system error, or nil when the failure is not a system call's.
    public let errno: Errno?
    /// Why it failed, in words (for a system error, the C library's text for it).
    public let reason: String

    /// An error carrying a system errno; the reason is the C library's text for it.
    public init(operation: EngineOperation, target: String, errno: Errno) {
        self.operation = operation
        self.target = target
        self.errno = errno
        self.reason = errno.description
    }

    /// An error that is not a system call's failure.
    public init(operation: EngineOperation, target: String, reason: String) {
        self.operation = operation
        self.target = target
        self.errno = nil
        self.reason = reason
    }

    /// An error from a C call that returned `-errno`: `code` is that (positive) errno.
    init(operation: EngineOperation, target: String, errnoCode code: Int32) {
        self.init(operation: operation, target: target, errno: Errno(rawValue: code))
    }

    /// The errno's symbolic name (`"ECONNRESET"`), or nil when there is no errno.
    public var errnoName: String? {
        guard let errno, let name = csched_io_errno_name(errno.rawValue) else { return nil }
        return String(cString: name)
    }

    /// `operation target: reason (NAME, errno N)`.
    public var description: String {
        guard let errno else { return "\(operation) \(target): \(reason)" }
        return "\(operation) \(target): \(reason) (\(errnoName ?? "E?"), errno \(errno.rawValue))"
    }

    /// A `catch` pattern for the engine's errors carrying `errno`:
    /// `catch EngineError.errno(.connectionRefused)`.
    public static func errno(_ errno: Errno) -> ErrnoPattern { ErrnoPattern(errno: errno) }

    /// Matches an ``EngineError`` by its errno; made by ``EngineError/errno(_:)``.
    public struct ErrnoPattern: Sendable {
        /// The errno to match.
        public let errno: Errno

        /// Whether `error` is an ``EngineError`` carrying this pattern's errno.
        public static func ~= (pattern: ErrnoPattern, error: any Error) -> Bool {
            (error as? EngineError)?.errno == pattern.errno
        }
    }

    /// Matches an ``EngineError`` against an errno in a `switch` over the error:
    /// `case Errno.connectionReset:`.
    public static func ~= (pattern: Errno, error: EngineError) -> Bool {
        error.errno == pattern
    }
}
