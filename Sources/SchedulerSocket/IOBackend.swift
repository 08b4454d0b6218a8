import CSchedulerIO

/// The I/O backend that carries blocking socket calls in this process.
public enum IOBackend: String, Sendable, Hashable, CustomStringConvertible {
    /// Blocking calls go through a per-thread io_uring.
    case ioUring = "io_uring"
    /// Blocking calls are the plain POSIX system calls.
    case posix

    /// The backend in use: chosen once per process from `SCHEDULER_CORE_BACKEND` (`posix` or
    /// `io_uring`) or, when unset, io_uring where the kernel allows it and POSIX otherwise.
    /// When the forced backend is unavailable this is `.ioUring` and every socket creation
    /// throws `SocketError.backendUnavailable` (see `requireAvailable()`).
    public static var current: IOBackend {
        csched_io_backend() == Int32(CSCHED_IO_BACKEND_POSIX) ? .posix : .ioUring
    }

    /// What the probe kept (io_uring setup flags and opcodes) or why POSIX is used.
    public static var features: String { String(cString: csched_io_backend_features()) }

    /// Throws `backendUnavailable`, saying why, when `SCHEDULER_CORE_BACKEND` asks for a backend
    /// that cannot be used here (io_uring forced where the kernel refuses it, or an unknown name).
    public static func requireAvailable() throws(SocketError) {
        if csched_io_backend() < 0 {
            throw .backendUnavailable(reason: String(cString: csched_io_backend_error()))
        }
    }

    /// `"io_uring"` or `"posix"`, as `SCHEDULER_CORE_BACKEND` spells them.
    public var description: String { rawValue }
}
