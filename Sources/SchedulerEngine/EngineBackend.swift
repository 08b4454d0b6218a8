import CSchedulerEngine
import CSchedulerIO
import SchedulerSocket

/// How the engine picks its I/O backend: the same rule and the same variable as `Socket`,
/// decided in one place (CSchedulerIO's `csched_io_backend`, which reads
/// `SCHEDULER_CORE_BACKEND` once per process).
enum EngineBackend {
    /// `requested`, else the process-wide choice: `SCHEDULER_CORE_BACKEND` (`posix` or
    /// `io_uring`), else io_uring where the kernel allows it and epoll otherwise. A forced
    /// io_uring that cannot run, or an unknown name, throws.
    static func resolve(_ requested: IOBackend?) throws(EngineError) -> IOBackend {
        guard let requested else {
            let chosen = csched_io_backend()
            guard chosen >= 0 else {
                throw EngineError(
                    operation: "choose backend", target: "engine",
                    reason: String(cString: csched_io_backend_error()))
            }
            return chosen == Int32(CSCHED_IO_BACKEND_POSIX) ? .posix : .ioUring
        }
        guard requested == .ioUring else { return .posix }
        let probe = cse_backend_probe(Int32(CSE_BACKEND_IO_URING))
        guard probe == 0 else {
            throw EngineError(operation: "io_uring_setup", target: "engine (io_uring asked for)", errno: -probe)
        }
        return .ioUring
    }

    /// The C constant for `backend`.
    static func code(_ backend: IOBackend) -> Int32 {
        switch backend {
        case .ioUring: return Int32(CSE_BACKEND_IO_URING)
        case .posix: return Int32(CSE_BACKEND_EPOLL)
        }
    }
}
