import CSchedulerEngine

/// Thrown into a ``TCPConnection/recvBuffer(parkable:)`` wait that
/// ``TCPConnection/park(onReadable:)`` took the place of.
public struct ConnectionParked: Error, CustomStringConvertible {
    /// Made by the engine only.
    init() {}

    /// What happened.
    public var description: String { "the receive was parked: the connection's task may end" }
}

extension TCPConnection {
    /// Receives the next chunk like ``recvBuffer()``, in a wait that ``park(onReadable:)`` may
    /// end with ``ConnectionParked``.
    @inlinable
    public nonisolated(nonsending) func recvBuffer(parkable: Bool) async throws -> TCPBuffer? {
        let handle: BufferHandle?
        switch try core.chunkIfReady() {
        case .ready(let ready):
            handle = ready
        case .wait where core.isCoveredTask():
            // A `serve` handler: its cancellation is already watched for the whole connection.
            // The executor-inheriting continuation skips a hop (and its executor-preference
            // lookup) at resumption; the one hop back to the caller's isolation below remains.
            handle = try await _unsafeInheritExecutor_withUnsafeThrowingContinuation {
                core.awaitChunk($0, covered: true, parkable: parkable)
            }
        case .wait:
            handle = try await core.waitForChunkCancellable(parkable: parkable)
        }
        guard let handle else { return nil }
        return TCPBuffer(handle, loop: core.loop)
    }

    /// The next received chunk if one is held now, without waiting or an async call; nil when
    /// none is (a receive would wait, or report the end of the stream or a failure).
    public func recvBufferNow() -> TCPBuffer? {
        guard case .ready(let handle?) = try? core.chunkIfReady() else { return nil }
        return TCPBuffer(handle, loop: core.loop)
    }

    /// Runs `onReadable` once, on the loop thread, when bytes, the end of stream or an error can
    /// be received, or the connection closes; no task waits meanwhile. Returns false, changing
    /// nothing, when one of those is already there (receive it now) or a receive waits.
    ///
    /// As with ``park(onReadable:)``, the connection then belongs to whatever `onReadable`
    /// starts: a `serve` handler that returns after this leaves the connection open.
    public func whenReadable(_ onReadable: @escaping @Sendable () -> Void) -> Bool {
        core.whenReadable(onReadable)
    }

    /// Parks an idle connection: if a task waits in ``recvBuffer(parkable:)`` with `parkable`
    /// set, that wait ends with ``ConnectionParked`` (no byte is lost: none had arrived), and
    /// `onReadable` runs once, on the loop thread, when bytes, the end of stream or an error
    /// can be received, or the connection closes. Returns false, changing nothing, when no such
    /// wait is there.
    ///
    /// The connection's task may then end, giving back its memory; a `serve` handler that
    /// returns after its connection was parked leaves the connection open. Whatever task
    /// `onReadable` starts owns the connection from then on and closes it when done.
    public func park(onReadable: @escaping @Sendable () -> Void) -> Bool {
        core.park(onReadable: onReadable)
    }
}

extension TCPConnection {
    /// Hands whole free heap pages back to the system (glibc's `malloc_trim`): worth calling
    /// after many connections were parked, whose tasks' memory malloc would otherwise keep.
    public static func releaseFreedMemory() {
        cse_trim_heap()
    }
}
