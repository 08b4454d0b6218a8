#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import SchedulerPool

/// Lines waiting to be written to one file descriptor, shared by every buffered
/// ``LineLogHandler`` that writes there, so lines keep their order across loggers.
///
/// Written with one `write(2)` when `size` bytes have gathered, by a flusher thread every
/// `interval`, by ``LineLogHandler/flush()``, and at exit; a line is never split between writes.
final class LineBuffer: Sendable {
    let fileDescriptor: Int32
    let size: Int
    let interval: Duration
    private let pending: FutexMutex<[UInt8]>

    private init(fileDescriptor: Int32, size: Int, interval: Duration) {
        self.fileDescriptor = fileDescriptor
        self.size = size
        self.interval = interval
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        pending = FutexMutex(bytes)
    }

    /// Adds a whole line; writes the buffer when it is full (inside the lock, so writes keep the
    /// order in which lines were added).
    func append(_ line: UnsafeRawBufferPointer) {
        pending.withLock { bytes in
            bytes.append(contentsOf: line)
            if bytes.count >= size { LineBuffer.drain(&bytes, to: fileDescriptor) }
        }
    }

    /// Writes whatever is buffered.
    func flush() {
        pending.withLock { bytes in
            if !bytes.isEmpty { LineBuffer.drain(&bytes, to: fileDescriptor) }
        }
    }

    /// Writes `bytes` (retrying short writes and EINTR) and empties it, keeping its capacity. A
    /// failed write drops the lines: a log line is not worth failing a request for.
    static func drain(_ bytes: inout [UInt8], to fileDescriptor: Int32) {
        bytes.withUnsafeBytes { writeAll($0, to: fileDescriptor) }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Writes `raw` whole (retrying short writes and EINTR); a failed write drops it.
    static func writeAll(_ raw: UnsafeRawBufferPointer, to fileDescriptor: Int32) {
        var offset = 0
        while offset < raw.count {
            let written = write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// The buffer for `fileDescriptor`: the one already made for it (its size and interval
    /// kept), else a new one, registered with the flusher.
    static func shared(fileDescriptor: Int32, size: Int, interval: Duration) -> LineBuffer {
        registry.withLock { registry in
            if let existing = registry.buffers.first(where: { $0.fileDescriptor == fileDescriptor }) {
                return existing
            }
            let buffer = LineBuffer(fileDescriptor: fileDescriptor, size: size, interval: interval)
            registry.buffers.append(buffer)
            if !registry.started {
                registry.started = true
                atexit { LineBuffer.flushAll() }
                let thread = Thread { LineBuffer.flushForever() }
                thread.name = "line-log-flush"
                thread.start()
            }
            return buffer
        }
    }

    /// Writes every buffer.
    static func flushAll() {
        for buffer in registry.withLock({ $0.buffers }) { buffer.flush() }
    }

    private struct Registry {
        var buffers: [LineBuffer] = []
        var started = false
    }

    private static let registry = FutexMutex(Registry())

    /// The flusher thread: every buffer is written at least once per its interval.
    private static func flushForever() {
        var last: [ObjectIdentifier: ContinuousClock.Instant] = [:]
        while true {
            let buffers = registry.withLock { $0.buffers }
            let now = ContinuousClock.now
            var sleep = Duration.seconds(1)
            for buffer in buffers {
                let due = (last[ObjectIdentifier(buffer)] ?? now) + buffer.interval
                if due <= now {
                    buffer.flush()
                    last[ObjectIdentifier(buffer)] = now
                    sleep = min(sleep, buffer.interval)
                } else {
                    if last[ObjectIdentifier(buffer)] == nil { last[ObjectIdentifier(buffer)] = now }
                    sleep = min(sleep, due - now)
                }
            }
            let (seconds, attoseconds) = sleep.components
            var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
        }
    }
}
