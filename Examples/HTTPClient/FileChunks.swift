import ArgumentParser
import Glibc
import SchedulerCore

/// A file read in 64 KiB chunks as the connection takes them (`--data-file`).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let path: String

    /// A request body streaming the file at `path` with its size as Content-Length.
    static func body(path: String) throws -> HTTPClientRequestBody {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ValidationError("--data-file \(path): \(String(cString: strerror(errno)))") }
        return .stream(FileChunks(path: path), length: Int(info.st_size))
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        var fd: Int32 = -1
        var done = false

        mutating func next() async throws -> [UInt8]? {
            if done { return nil }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw ValidationError("--data-file \(path): \(String(cString: strerror(errno)))") }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                done = true
                _ = close(fd)
                if count < 0 { throw ValidationError("read \(path): \(String(cString: strerror(errno)))") }
                return nil
            }
            chunk.removeSubrange(count...)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path) }
}
