#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import Logging

/// A swift-log handler that writes each event as one line with one `write(2)`, e.g.
/// `2026-12-05T09:20:31.123Z info requests: GET /users/42 200 7B 12µs`.
///
/// Made for lines logged per request: the UTC time is formatted by arithmetic (no `localtime`,
/// no `strftime`, no time zone file), nothing is buffered (a line is in the file when `log`
/// returns, and lines of several threads never interleave within a line), and metadata is
/// printed only when `includeMetadata` is set: otherwise ``RequestLoggingMiddleware`` builds
/// none (its message already holds every value), which with the rest makes it cheaper than
/// `StreamLogHandler` per request.
///
/// With a `bufferSize`, lines gather in a buffer shared by every handler writing to the same
/// descriptor and go out in one `write(2)` when it fills, at least every `flushInterval`, on
/// ``flush()`` and at exit (as nginx's `access_log ... buffer=`): far fewer system calls under
/// load, at the price of lines that show up a little later and are lost if the process crashes.
public struct LineLogHandler: LogHandler {
    /// The logger's label, printed on every line.
    public let label: String
    /// Where lines go (standard error unless told).
    public let fileDescriptor: Int32
    /// Whether lines end with the metadata as sorted `key=value` pairs.
    public let includeMetadata: Bool
    /// Events below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata of this handler, printed (with the event's) when `includeMetadata` is set.
    public var metadata: Logger.Metadata = [:]
    /// Metadata added to every event from a provider, printed when `includeMetadata` is set.
    public var metadataProvider: Logger.MetadataProvider?

    /// Bytes gathered before a write (0: every line is written at once).
    public let bufferSize: Int
    private let buffer: LineBuffer?
    /// `" <level> <label>: "` for each level, in `Logger.Level`'s order: what follows the time.
    private let prefixes: [String]

    /// Writes lines for `label` to `fileDescriptor`, each at once, or through a buffer of
    /// `bufferSize` bytes written at least every `flushInterval` (the first handler of a
    /// descriptor sets both for it).
    public init(
        label: String, fileDescriptor: Int32 = STDERR_FILENO, includeMetadata: Bool = false, bufferSize: Int = 0,
        flushInterval: Duration = .milliseconds(100)
    ) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.includeMetadata = includeMetadata
        self.bufferSize = max(bufferSize, 0)
        prefixes = Logger.Level.allCases.map { " \($0.rawValue) \(label): " }
        buffer = bufferSize > 0
            ? LineBuffer.shared(fileDescriptor: fileDescriptor, size: bufferSize, interval: max(flushInterval, .milliseconds(1)))
            : nil
    }

    /// Writes every buffered line of every buffered handler now.
    public static func flush() {
        LineBuffer.flushAll()
    }

    /// A factory for `LoggingSystem.bootstrap`: every logger writes to standard error.
    public static func standardError(label: String) -> LineLogHandler {
        LineLogHandler(label: label)
    }

    /// The handler's metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event's line.
    public func log(event: LogEvent) {
        let message = event.message.description
        let error = event.error.map { "\($0)" }
        guard includeMetadata else {
            let capacity = message.utf8.count + (error.map { $0.utf8.count + 8 } ?? 0)
            write(level: event.level, messageCapacity: capacity) { line in
                line.append(message)
                if let error {
                    line.append(" error: ")
                    line.append(error)
                }
            }
            return
        }
        var line: [UInt8] = []
        line.reserveCapacity(64 + label.utf8.count + message.utf8.count)
        appendPrefix(event.level, to: &line)
        line.append(contentsOf: message.utf8)
        if let error {
            line.append(contentsOf: " error: ".utf8)
            line.append(contentsOf: error.utf8)
        }
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.description.utf8)
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { output($0) }
    }

    /// Writes one line at `level` whose message `message` appends (at most `messageCapacity`
    /// bytes; more is cut), built on the stack: the line `log(event:)` writes for that message
    /// without error or metadata, for callers that hold this handler and know it prints none
    /// (``RequestLoggingMiddleware``), with no `String` message and no swift-log event built.
    /// `monotonic`: `CLOCK_MONOTONIC` (ns) the caller read just now, the line's time from it.
    func write(level: Logger.Level, messageCapacity: Int, monotonic: Int64? = nil, _ message: (inout LineBytes) -> Void) {
        let capacity = 48 + label.utf8.count + max(messageCapacity, 0)
        if let buffer {
            buffer.appendLine(capacity: capacity) { line in
                appendPrefix(level, to: &line, monotonic: monotonic)
                message(&line)
                line.endLine()
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { memory in
            var line = LineBytes(memory)
            appendPrefix(level, to: &line, monotonic: monotonic)
            message(&line)
            line.endLine()
            LineBuffer.writeAll(line.bytes, to: fileDescriptor)
        }
    }

    /// Time, level and label, as every line starts.
    private func appendPrefix<Sink: LineSink>(_ level: Logger.Level, to line: inout Sink, monotonic: Int64? = nil) {
        LineTimestamp.append(to: &line, monotonic: monotonic)
        line.append(prefixes[Self.index(of: level)])
    }

    /// `level`'s place in `Logger.Level.allCases`.
    private static func index(of level: Logger.Level) -> Int {
        switch level {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }

    /// A whole line to the buffer, or to the descriptor at once.
    private func output(_ line: UnsafeRawBufferPointer) {
        if let buffer {
            buffer.append(line)
        } else {
            LineBuffer.writeAll(line, to: fileDescriptor)
        }
    }
}
