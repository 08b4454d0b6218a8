import CSchedulerEngine
import Glibc
import SchedulerSocket

/// How the engine picks its I/O backend: the same rule and the same variable as `Socket`.
enum EngineBackend {
    /// `requested`, else `SCHEDULER_CORE_BACKEND` (`posix` or `io_uring`), else io_uring where
    /// the kernel allows it and epoll otherwise. A forced io_uring that cannot run throws.
    static func resolve(_ requested: IOBackend?) throws(EngineError) -> IOBackend {
        var choice = requested
        if choice == nil, let variable = getenv("SCHEDULER_CORE_BACKEND") {
            let text = String(cString: variable)
            guard let named = IOBackend(rawValue: text) else {
                throw EngineError(
                    operation: .chooseBackend, target: "SCHEDULER_CORE_BACKEND=\(text)",
                    reason: "expected posix or io_uring")
            }
            choice = named
        }
        let probe = cse_backend_probe(Int32(CSE_BACKEND_IO_URING))
        switch choice {
        case .posix?:
            return .posix
        case .ioUring?:
            guard probe == 0 else {
                throw EngineError(
                    operation: .ioUringSetup, target: "engine (io_uring forced)", errnoCode: -probe)
            }
            return .ioUring
        case nil:
            return probe == 0 ? .ioUring : .posix
        }
    }

    /// The C constant for `backend`.
    static func code(_ backend: IOBackend) -> Int32 {
        switch backend {
        case .ioUring: return Int32(CSE_BACKEND_IO_URING)
        case .posix: return Int32(CSE_BACKEND_EPOLL)
        }
    }
}
