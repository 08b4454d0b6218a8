import CSchedulerEngine

/// Bytes received on a ``TCPConnection``, held in the engine's own memory and never copied.
///
/// ``TCPConnection/recvBuffer()`` hands one out; ``TCPConnection/send(_:)-(TCPBuffer)`` sends
/// it back out without copying and takes it over, so an echo or a proxy moves bytes from the
/// receive buffer to the socket directly. It is noncopyable: exactly one owner holds it, and
/// dropping it gives the memory back at once. A large chunk may be a buffer of the receive
/// ring itself, so hand it on or drop it promptly rather than keeping many of them.
///
/// ```swift
/// while let buffer = try await connection.recvBuffer() {
///     try await connection.send(buffer)  // echoes the bytes as they arrived
/// }
/// ```
public struct TCPBuffer: ~Copyable, @unchecked Sendable {
    // @unchecked: the buffer has one owner (this value); the C calls made on it are thread-safe.
    let pointer: UnsafeMutablePointer<cse_buffer>
    /// Retained for as long as the buffer lives: the loop's memory must outlive it.
    let loop: Unmanaged<EngineLoop>

    @usableFromInline
    init(_ handle: BufferHandle, loop: EngineLoop) {
        pointer = handle.pointer
        self.loop = Unmanaged.passRetained(loop)
    }

    deinit {
        cse_buffer_release(loop.takeUnretainedValue().handle, pointer)
        loop.release()
    }

    /// The number of bytes.
    public var count: Int { pointer.pointee.length }

    /// Calls `body` with the bytes; the pointer is valid only during the call.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: pointer.pointee.data, count: pointer.pointee.length))
    }

    /// Calls `body` with the bytes for changing them in place (e.g. before sending them on).
    public mutating func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: pointer.pointee.data, count: pointer.pointee.length))
    }

    /// A copy of the bytes as an array.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// Gives up ownership: the caller must send or release the C buffer and release `loop`.
    @usableFromInline
    consuming func take() -> (UnsafeMutablePointer<cse_buffer>, Unmanaged<EngineLoop>) {
        let taken = (pointer, loop)
        discard self
        return taken
    }
}
