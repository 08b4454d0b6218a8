import CSchedulerEngine

/// Received C buffers not yet read, oldest first, with the counts the receive high-water mark
/// works on. Each buffer is owned here until taken; the owner releases the rest on close.
struct ReceiveQueue {
    /// Receiving pauses above this many buffered bytes and resumes below `lowWater`.
    static let highWater = 1 << 18
    static let lowWater = 1 << 16

    private var buffers: [BufferHandle] = []
    private var head = 0
    /// Bytes not yet read.
    private(set) var bytes = 0
    /// Memory the buffers hold (a lent 64 KiB ring buffer counts fully).
    private(set) var footprint = 0
    /// Reading is paused because the footprint went over the high-water mark.
    var paused = false

    /// Whether no unread bytes are held.
    var isEmpty: Bool { bytes == 0 }

    /// Takes over `buffer` (not empty) as the newest chunk.
    mutating func append(_ buffer: BufferHandle) {
        buffers.append(buffer)
        bytes += buffer.pointer.pointee.length
        footprint += Int(buffer.pointer.pointee.capacity)
    }

    /// Whether reading must pause now: the footprint just went over the high-water mark.
    mutating func pauseIfFull() -> Bool {
        guard footprint > Self.highWater && !paused else { return false }
        paused = true
        return true
    }

    /// Whether reading, paused by the high-water mark, may go on now; clears `paused` if so.
    mutating func resumeIfDrained() -> Bool {
        guard paused && footprint < Self.lowWater else { return false }
        paused = false
        return true
    }

    /// Takes the oldest chunk whole (there is at least one).
    mutating func takeChunk() -> BufferHandle {
        let buffer = buffers[head]
        head += 1
        bytes -= buffer.pointer.pointee.length
        footprint -= Int(buffer.pointer.pointee.capacity)
        compact()
        return buffer
    }

    /// Copies out up to `limit` bytes (there is at least one), releasing to `loop` the buffers
    /// it empties.
    mutating func takeBytes(limit: Int, loop: OpaquePointer) -> [UInt8] {
        let total = min(limit, bytes)
        let output = [UInt8](unsafeUninitializedCapacity: total) { output, count in
            while count < total {
                let buffer = buffers[head].pointer
                let take = min(buffer.pointee.length, total - count)
                UnsafeMutableRawPointer(output.baseAddress! + count).copyMemory(
                    from: buffer.pointee.data, byteCount: take)
                count += take
                if take == buffer.pointee.length {
                    head += 1
                    footprint -= Int(buffer.pointee.capacity)
                    cse_buffer_release(loop, buffer)
                } else {
                    buffer.pointee.data += take
                    buffer.pointee.length -= take
                }
            }
        }
        bytes -= total
        compact()
        return output
    }

    /// Releases every buffer still held to `loop`.
    mutating func releaseAll(loop: OpaquePointer) {
        for buffer in buffers[head...] { cse_buffer_release(loop, buffer.pointer) }
        buffers = []
        head = 0
        bytes = 0
        footprint = 0
    }

    private mutating func compact() {
        if head == buffers.count {
            buffers.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 {
            buffers.removeFirst(head)
            head = 0
        }
    }
}

/// A received C buffer passed between the loop thread and a task.
@usableFromInline
struct BufferHandle: @unchecked Sendable {
    // @unchecked: the buffer has exactly one owner at a time; the handle moves it.
    @usableFromInline let pointer: UnsafeMutablePointer<cse_buffer>
}
