import ArgumentParser
import Glibc

/// Where the body goes: standard output or a file (`-o`), written as chunks arrive.
final class OutputSink {
    private let fd: Int32
    private let owned: Bool

    init(path: String?) throws {
        guard let path else {
            fd = 1
            owned = false
            return
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ValidationError("-o \(path): \(String(cString: strerror(errno)))") }
        owned = true
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ValidationError("write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    func close() {
        if owned { _ = Glibc.close(fd) }
    }
}
