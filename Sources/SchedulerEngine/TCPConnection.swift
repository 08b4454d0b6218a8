import CSchedulerEngine
import CSchedulerIO
import SchedulerPool
import SchedulerSocket

/// One TCP connection on an engine loop, accepted by a ``TCPServer`` or made by
/// ``TCPEngine/connect(to:from:timeout:)-(_,SocketAddress?,_)``, with `async` receive and send (or a
/// ``TCPConnectionHandler``, see ``setHandler(_:)``).
///
/// `recv` suspends until bytes arrive; `send` queues the bytes and returns at once unless more
/// than about 1 MiB is already queued, in which case it waits for the peer to catch up. Closing
/// is graceful: queued bytes are sent first, for at most ``TCPServer/Configuration/closeGracePeriod``
/// (then the connection is cut). Dropping the last reference closes it too.
///
/// A handler runs fastest on the connection's own loop thread: ``TCPServer/serve(_:)`` arranges
/// that, and a task of your own can ask for it with `Task(executorPreference: connection.executor)`.
/// The async methods are `nonisolated(nonsending)`: they run on the caller's executor, without a
/// hop on entry, and resume there.
public final class TCPConnection: Sendable {
    @usableFromInline let core: ConnectionCore
    /// The address of the other end, read from the socket once when the connection joined its loop.
    public let peerAddress: SocketAddress
    /// This end's address (the source address of an outbound connection), read once likewise.
    public let localAddress: SocketAddress

    /// The connection `id` of `loop` on descriptor `fd`; on the loop thread, as it joins the table.
    init(loop: EngineLoop, id: UInt64, fd: Int32) {
        peerAddress = Self.address(of: fd, csched_io_peer_address)
        localAddress = Self.address(of: fd, csched_io_local_address)
        core = ConnectionCore(loop: loop, id: id, peer: peerAddress)
    }

    deinit {
        _ = core.requestClose()
    }

    /// getpeername/getsockname through the C shim; `0.0.0.0:0` if the socket cannot say (a peer
    /// that reset before the connection was registered).
    private static func address(
        of fd: Int32, _ read: (Int32, UnsafeMutablePointer<csched_io_address>?) -> Int32
    ) -> SocketAddress {
        var address = csched_io_address()
        guard read(fd, &address) == 0, let converted = address.socketAddress else {
            return SocketAddress(ip: IPAddress(ipv4: 0), port: 0)
        }
        return converted
    }

    /// The executor of the event loop that owns this connection, for `Task(executorPreference:)`.
    public var executor: any TaskExecutor { core.loop }

    /// Receives up to `maxLength` bytes; an empty array means the peer closed its side.
    ///
    /// Throws ``EngineError`` when receiving failed (e.g. `ECONNRESET`) and `CancellationError`
    /// when the calling task is cancelled while waiting. One `recv` may wait at a time.
    public nonisolated(nonsending) func recv(maxLength: Int = 65536) async throws -> [UInt8] {
        try await core.recv(maxLength: maxLength)
    }

    /// Receives the next chunk as it arrived, without copying it; nil means the peer closed.
    ///
    /// The fastest way to read: the bytes stay in the engine's buffer, and ``send(_:)-(TCPBuffer)``
    /// sends them on without a copy. Throws like ``recv(maxLength:)``; one receive may wait at a
    /// time, whichever of the two it is.
    @inlinable
    public nonisolated(nonsending) func recvBuffer() async throws -> TCPBuffer? {
        try await recvBuffer(parkable: false)
    }

    /// Queues the bytes of `buffer` for sending, in order, without copying them, and takes the
    /// buffer over; waits only while too many bytes are queued.
    ///
    /// Throws ``EngineError`` after ``close()`` or once an earlier send failed.
    @inlinable
    public nonisolated(nonsending) func send(_ buffer: consuming TCPBuffer) async throws {
        let (pointer, loop) = buffer.take()
        defer { loop.release() }
        let mustWait = try core.enqueue(buffer: pointer)
        if mustWait { try await core.waitForRoom() }
    }

    /// Queues the bytes of `buffer` for sending without waiting and takes the buffer over: the
    /// send of a ``TCPConnectionHandler``, whose reading the engine pauses while too much is queued.
    ///
    /// Throws ``EngineError`` after ``close()`` or once an earlier send failed.
    public func sendNow(_ buffer: consuming TCPBuffer) throws(EngineError) {
        let (pointer, loop) = buffer.take()
        defer { loop.release() }
        _ = try core.enqueue(buffer: pointer)
    }

    /// Queues a copy of `bytes` without waiting; see ``sendNow(_:)-(TCPBuffer)``. Returns true
    /// when too many bytes are now queued: a caller that can wait then awaits
    /// ``waitForSendRoom()`` before queuing more (as `send` does, without an async call when
    /// there is room).
    @discardableResult
    public func sendNow(_ bytes: [UInt8]) throws(EngineError) -> Bool {
        let queued = bytes.withUnsafeBytes { buffer in
            Result { () throws(EngineError) in try core.enqueue(buffer) }
        }
        return try queued.get()
    }

    /// Waits until the send queue has drained to half its high-water mark (or the connection
    /// closed); cancellation ends the wait with `CancellationError`.
    public nonisolated(nonsending) func waitForSendRoom() async throws {
        try await core.waitForRoom()
    }

    /// Queues `bytes` for sending, in order; waits only while too many bytes are queued.
    ///
    /// Throws ``EngineError`` after ``close()`` or once an earlier send failed.
    public nonisolated(nonsending) func send(_ bytes: some Collection<UInt8>) async throws {
        let mustWait =
            try bytes.withContiguousStorageIfAvailable { buffer throws(EngineError) in
                try core.enqueue(UnsafeRawBufferPointer(buffer))
            } ?? Array(bytes).withUnsafeBytes { buffer throws(EngineError) in try core.enqueue(buffer) }
        if mustWait { try await core.waitForRoom() }
    }

    /// Queues the bytes of a contiguous array; the fast path of the generic `send`.
    public nonisolated(nonsending) func send(_ bytes: [UInt8]) async throws {
        let mustWait = try bytes.withUnsafeBytes { buffer throws(EngineError) in
            try core.enqueue(buffer)
        }
        if mustWait { try await core.waitForRoom() }
    }

    /// Queues the UTF-8 bytes of `text`.
    public nonisolated(nonsending) func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Drives the connection with `handler` from now on: every received chunk goes to it by
    /// callback on the loop thread (bytes that arrived before are handed over first), as
    /// ``TCPServer/serve(handlers:)`` does for accepted connections. Returns once it is
    /// installed. Use it instead of `recv`, not with it; install one handler per connection.
    public func setHandler(_ handler: any TCPConnectionHandler) async {
        let box = HandlerBox(handler)
        await Task(executorPreference: core.loop) { [core] in
            // The loop has stopped (its jobs then run elsewhere): the connection is closed.
            guard cse_on_loop_thread(core.loop.handle) == 1 else { return box.handler.receiveEnded(nil) }
            core.attach(box.handler)
        }.value
    }

    /// Starts closing the connection after its queued bytes are sent, without waiting.
    public func closeNow() {
        _ = core.requestClose()
    }

    /// Closes the connection after its queued bytes are sent, and waits until it is closed.
    ///
    /// A peer that does not take the bytes within ``TCPServer/Configuration/closeGracePeriod``
    /// gets the connection cut: the unsent bytes are lost (a waiting `send` throws `ETIMEDOUT`).
    ///
    /// Calling it again, or from several tasks, is harmless: all of them wait for the close.
    public nonisolated(nonsending) func close() async {
        _ = core.requestClose()
        await core.waitClosed()
    }
}

/// Carries a handler to its loop thread, the only thread that touches it from then on.
private struct HandlerBox: @unchecked Sendable {
    let handler: any TCPConnectionHandler
    init(_ handler: any TCPConnectionHandler) { self.handler = handler }
}
