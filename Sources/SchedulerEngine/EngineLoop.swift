import CSchedulerEngine
import CSchedulerIO
import SchedulerPool
import SchedulerSocket
import Glibc

/// One C event loop (one thread, one ring or epoll set, a listener or none), seen from Swift.
///
/// A ``TCPServer``'s loops accept; a ``TCPEngine``'s loops only connect (``connect(to:from:timeout:)``).
/// Both kinds of connection are the same ``TCPConnection``.
///
/// It is also a `TaskExecutor`: a task that prefers it runs on the loop thread itself, so a
/// connection handler wakes from `recv` without a thread hop and its `send` is queued without
/// a lock round trip or a wake-up write.
@usableFromInline
final class EngineLoop: TaskExecutor, @unchecked Sendable {
    // @unchecked: `handle` is set once in init; the C loop is thread-safe for the calls made.
    private(set) var handle: OpaquePointer!
    /// Called on the loop thread for each accepted connection.
    let onAccept: @Sendable (TCPConnection) -> Void
    /// Called on the loop thread once the loop has stopped.
    let onStopped: @Sendable () -> Void

    init(
        config: cse_config, onAccept: @escaping @Sendable (TCPConnection) -> Void,
        onStopped: @escaping @Sendable () -> Void, target: String
    ) throws(EngineError) {
        self.onAccept = onAccept
        self.onStopped = onStopped
        var callbacks = cse_callbacks()
        // The C loop holds this retain until on_stopped.
        callbacks.context = Unmanaged.passRetained(self).toOpaque()
        callbacks.on_accept = { context, connection, fd in
            let loop = Unmanaged<EngineLoop>.fromOpaque(context!).takeUnretainedValue()
            let connection = TCPConnection(loop: loop, id: connection, fd: fd)
            loop.onAccept(connection)
            return Unmanaged.passRetained(connection.core).toOpaque()
        }
        callbacks.on_connect = { context, request, connection, fd, result in
            let loop = Unmanaged<EngineLoop>.fromOpaque(context!).takeUnretainedValue()
            let pending = Unmanaged<PendingConnect>.fromOpaque(request!).takeRetainedValue()
            guard result == 0 else {
                pending.finish(.failure(pending.error(errno: -result)))
                return nil
            }
            let connection = TCPConnection(loop: loop, id: connection, fd: fd)
            pending.finish(.success(connection))
            return Unmanaged.passRetained(connection.core).toOpaque()
        }
        // The C loop's retain keeps the core alive through every callback: no retain per call.
        callbacks.on_data = { user, buffer, length in
            Unmanaged<ConnectionCore>.fromOpaque(user!)._withUnsafeGuaranteedRef {
                $0.deliver(buffer, length) ? 1 : 0
            }
        }
        callbacks.on_sent = { user, result in
            Unmanaged<ConnectionCore>.fromOpaque(user!)._withUnsafeGuaranteedRef { $0.sent(result) }
        }
        callbacks.on_closed = { user in
            let core = Unmanaged<ConnectionCore>.fromOpaque(user!)
            core.takeUnretainedValue().closedByLoop()
            core.release()
        }
        callbacks.on_job = { context, job in
            let loop = Unmanaged<EngineLoop>.fromOpaque(context!).takeUnretainedValue()
            unsafeBitCast(job, to: UnownedJob.self).runSynchronously(on: loop.asUnownedTaskExecutor())
        }
        callbacks.on_stopped = { context in
            let loop = Unmanaged<EngineLoop>.fromOpaque(context!)
            loop.takeUnretainedValue().onStopped()
            loop.release()
        }
        var config = config
        var failed: UnsafePointer<CChar>?
        var started: OpaquePointer?
        let rc = cse_loop_start(&config, &callbacks, &started, &failed)
        guard rc == 0, let started else {
            Unmanaged.passUnretained(self).release()
            let operation = failed.map { String(cString: $0) } ?? "start engine loop"
            throw EngineError(operation: operation, target: target, errno: -rc)
        }
        handle = started
    }

    deinit {
        // Only reached after on_stopped released the C loop's retain: the loop has stopped.
        if let handle { cse_loop_destroy(handle) }
    }

    /// The port the loop's listener is bound to.
    var localPort: UInt16 { UInt16(cse_loop_local_port(handle)) }

    /// What the loop runs on, e.g. `io_uring SINGLE_ISSUER DEFER_TASKRUN NODROP`.
    var features: String { String(cString: cse_loop_features(handle)) }

    @usableFromInline
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if cse_enqueue_job(handle, unsafeBitCast(unowned, to: UnsafeMutableRawPointer.self)) < 0 {
            // The loop has stopped: the task goes on on the global executor.
            globalConcurrentExecutor.enqueue(unowned)
        }
    }

    func shutdown() { _ = cse_shutdown(handle) }

    /// Connects a new socket on this loop; the connection is registered like an accepted one.
    func connect(to destination: SocketAddress, from source: SocketAddress?, timeout: Duration)
        async throws(EngineError) -> TCPConnection
    {
        let result = await withUnsafeContinuation {
            (continuation: UnsafeContinuation<Result<TCPConnection, EngineError>, Never>) in
            let pending = PendingConnect(continuation, destination: destination, source: source)
            var to = csched_io_address(destination)
            var from = source.map { csched_io_address($0) } ?? csched_io_address()
            var failed: UnsafePointer<CChar>?
            // The C loop holds this retain until on_connect.
            let token = Unmanaged.passRetained(pending).toOpaque()
            let rc = withUnsafePointer(to: &from) { fromPointer in
                cse_connect(
                    handle, &to, source == nil ? nil : fromPointer, nanoseconds(timeout), token,
                    &failed)
            }
            if rc < 0 {
                Unmanaged<PendingConnect>.fromOpaque(token).release()
                let operation = failed.map { String(cString: $0) } ?? "connect"
                pending.finish(.failure(pending.error(operation, errno: -rc)))
            }
        }
        return try result.get()
    }
}

/// A connect on its way: resumed once, from the loop's on_connect or from a refusal at once.
private final class PendingConnect: @unchecked Sendable {
    // @unchecked: `continuation` is resumed exactly once, by whichever path ends the connect.
    private let continuation: UnsafeContinuation<Result<TCPConnection, EngineError>, Never>
    private let destination: SocketAddress
    private let source: SocketAddress?

    init(
        _ continuation: UnsafeContinuation<Result<TCPConnection, EngineError>, Never>,
        destination: SocketAddress, source: SocketAddress?
    ) {
        self.continuation = continuation
        self.destination = destination
        self.source = source
    }

    func finish(_ result: Result<TCPConnection, EngineError>) { continuation.resume(returning: result) }

    /// The error for this connect: `connect 127.0.0.1:80` (`from 127.0.0.2` when bound).
    func error(_ operation: String = "connect", errno: Int32) -> EngineError {
        let from = source.map { " from \($0)" } ?? ""
        return EngineError(operation: operation, target: "\(destination)\(from)", errno: errno)
    }
}

/// `duration` in nanoseconds for the C core, at least 1 (0 would mean no limit there).
private func nanoseconds(_ duration: Duration) -> UInt64 {
    let parts = duration.components
    guard parts.seconds >= 0, duration > .zero else { return 1 }
    let (whole, overflow) = UInt64(parts.seconds).multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return UInt64.max }
    return max(1, whole.addingReportingOverflow(UInt64(parts.attoseconds / 1_000_000_000)).partialValue)
}
