import CZlib
import Foundation
import HTTPTypes
import Logging
import SchedulerPool
import Synchronization

@testable import SchedulerHTTP

/// Shared pieces of the middleware tests: requests, a loopback server for a router, zlib and
/// Python decoders, a capturing log handler.
enum MW {
    /// A plain (async only) middleware: put first, it makes the router run every middleware's
    /// async form, where synchronous handlers would get their synchronous forms.
    struct AsyncOnly: HTTPMiddleware {
        func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
            -> HTTPServerResponse
        {
            try await next(request, context)
        }
    }

    static let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)

    static func request(
        _ method: HTTPRequest.Method = .get, _ path: String, _ fields: HTTPFields = [:], body: [UInt8] = []
    ) -> HTTPServerRequest {
        HTTPServerRequest(
            head: HTTPRequest(method: method, scheme: nil, authority: "a", path: path, headerFields: fields),
            body: body, localAddress: local)
    }

    static func name(_ text: String) -> HTTPField.Name { HTTPField.Name(text)! }

    /// The bytes of a response body, streamed or not (a stream is run into a buffer in-process).
    static func bytes(_ response: HTTPServerResponse) async throws -> [UInt8] {
        if let bytes = response.body.bytes { return bytes }
        return try await streamWrites(response).flatMap { $0 }
    }

    /// Each write of a streamed body, in order, run in-process.
    static func streamWrites(_ response: HTTPServerResponse) async throws -> [[UInt8]] {
        guard case .stream(_, let produce) = response.body.storage else { return [response.body.bytes ?? []] }
        let writes = Mutex<[[UInt8]]>([])
        let writer = HTTPBodyWriter(forwardingTo: { bytes in writes.withLock { $0.append(bytes) } })
        try await produce(writer)
        return writes.withLock { $0 }
    }

    /// Runs `router` on a loopback server for the time of `body`.
    static func withRouterServer(_ router: some HTTPResponder, _ body: (UInt16) async throws -> Void) async throws {
        let server = try HTTPServer(
            address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0),
            configuration: HTTPServer.Configuration(engine: .init(threads: 1)), responder: router)
        let running = await startRunning(server)
        do {
            try await body(server.address.port)
        } catch {
            await server.shutdown()
            await running.value
            throw error
        }
        await server.shutdown()
        await running.value
    }

    /// One request on a fresh loopback connection (one connection per request: these tests are
    /// about the middleware, not keep-alive).
    static func exchange(_ port: UInt16, _ request: String, noBody: Bool = false) async throws -> RawResponse {
        try await offPool {
            let client = try RawClient(port: port)
            try client.send(request)
            return try client.readResponse(noBody: noBody)
        }
    }

    /// A blocking client call run off the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Decodes gzip or zlib data with Python's zlib (a decoder independent of this package).
    static func pythonInflate(_ data: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read(), 47))",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(data))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RawClientError(description: "python zlib failed") }
        return Array(result)
    }
}

/// A zlib inflate stream (gzip or zlib, detected), fed piece by piece.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private(set) var ended = false

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        precondition(czlib_inflate_init(stream, 47) == Z_OK)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// What `input` decodes to, given everything fed before.
    func feed(_ input: [UInt8]) throws -> [UInt8] {
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var rc: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inBuffer.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(outBuffer.count)
                    rc = inflate(stream, Z_NO_FLUSH)
                    return outBuffer.count - Int(stream.pointee.avail_out)
                }
                output += chunk[..<produced]
            } while rc == Z_OK && stream.pointee.avail_out == 0
        }
        if rc == Z_STREAM_END {
            ended = true
        } else if rc != Z_OK && rc != Z_BUF_ERROR {
            throw RawClientError(description: "inflate: \(rc)")
        }
        return output
    }

    static func all(_ data: [UInt8]) throws -> [UInt8] {
        let inflater = Inflater()
        let out = try inflater.feed(data)
        guard inflater.ended else { throw RawClientError(description: "inflate: stream not ended") }
        return out
    }
}

/// Log records kept by ``CapturingLogHandler``.
final class LogRecords: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }
    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withLock { $0.append(record) } }
    var all: [Record] { records.withLock { $0 } }

    /// A logger writing here.
    func logger() -> Logger {
        Logger(label: "test") { _ in CapturingLogHandler(records: self) }
    }
}

/// A log handler that keeps every record.
struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(
            .init(
                level: event.level, message: "\(event.message)",
                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
