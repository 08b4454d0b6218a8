import CSchedulerEngine
import CSchedulerIO
import SchedulerSocket
import Glibc

/// One C event loop (one thread, one ring or epoll set, one listener), seen from Swift.
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
            let core = ConnectionCore(loop: loop, id: connection, peer: peerName(fd))
            loop.onAccept(TCPConnection(core: core))
            return Unmanaged.passRetained(core).toOpaque()
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
}

/// `host:port` of the peer of a connected socket, for error messages.
private func peerName(_ fd: Int32) -> String {
    var address = csched_io_address()
    guard csched_io_peer_address(fd, &address) == 0, let peer = address.socketAddress else {
        return "fd \(fd)"
    }
    return peer.description
}
