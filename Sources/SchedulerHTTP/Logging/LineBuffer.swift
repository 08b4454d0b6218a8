#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
@_spi(SchedulerInternals) import SchedulerPool

/// Lines waiting to be written to one file descriptor, shared by every buffered
/// ``LineLogHandler`` that writes there, so lines keep their order across loggers.
///
/// Lines are built in place in the buffer (no copy). It is written with one `write(2)` when the
/// next line would not fit, by a flusher thread every `interval`, by ``LineLogHandler/flush()``,
/// and at exit; a line is never split between writes.
final class LineBuffer: @unchecked Sendable {
    // @unchecked: `storage` is read and written only under `filled`'s lock.
    let fileDescriptor: Int32
    let size: Int
    let interval: Duration
    private let storage: UnsafeMutablePointer<UInt8>
    /// How many bytes of `storage` hold lines not yet written.
    private let filled = FutexMutex(0)

    private init(fileDescriptor: Int32, size: Int, interval: Duration) {
        self.fileDescriptor = fileDescriptor
        self.size = size
        self.interval = interval
        storage = .allocate(capacity: size)
    }

    deinit { storage.deallocate() }

    /// Adds the line `build` writes (at most `capacity` bytes; more is cut) straight into the
    /// buffer, after writing what is there when it would not fit (inside the lock, so writes keep
    /// the order in which lines were added). A line longer than the buffer is written alone.
    func appendLine(capacity: Int, _ build: (inout LineBytes) -> Void) {
        filled.withLock { count in
            if count + capacity > size {
                LineBuffer.writeAll(UnsafeRawBufferPointer(start: storage, count: count), to: fileDescriptor)
                count = 0
            }
            if capacity > size {
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { memory in
                    var line = LineBytes(memory)
                    build(&line)
                    LineBuffer.writeAll(line.bytes, to: fileDescriptor)
                }
                return
            }
            var line = LineBytes(UnsafeMutableBufferPointer(start: storage + count, count: capacity))
            build(&line)
            count += line.count
        }
    }

    /// Adds a whole line.
    func append(_ line: UnsafeRawBufferPointer) {
        appendLine(capacity: line.count) { $0.append(line.bindMemory(to: UInt8.self)) }
    }

    /// Writes whatever is buffered. A failed write drops the lines: a log line is not worth
    /// failing a request for.
    func flush() {
        filled.withLock { count in
            if count > 0 { LineBuffer.writeAll(UnsafeRawBufferPointer(start: storage, count: count), to: fileDescriptor) }
            count = 0
        }
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
