import Glibc
import HTTPTypes

/// The answer for one regular file: validators, conditional requests, ranges, and a body read
/// in chunks from the file when the server sends it.
struct StaticFileResponse {
    let path: String
    let info: stat
    let chunkSize: Int

    var size: Int { Int(info.st_size) }
    var modified: Int { Int(info.st_mtim.tv_sec) }
    var eTag: String {
        let nanos =
            UInt64(truncatingIfNeeded: info.st_mtim.tv_sec) &* 1_000_000_000
            &+ UInt64(truncatingIfNeeded: info.st_mtim.tv_nsec)
        return "\"\(String(size, radix: 16))-\(String(nanos, radix: 16))\""
    }

    func response(to request: HTTPRequest) -> HTTPServerResponse {
        let type = MediaTypes.type(forFileName: path)
        var fields = HTTPFields()
        fields[.eTag] = eTag
        fields[.lastModified] = HTTPDateCache.format(modified)
        fields[.acceptRanges] = "bytes"
        let requestFields = request.headerFields
        if let tags = requestFields[.ifNoneMatch] {
            if Self.matches(tags, eTag) { return HTTPServerResponse(status: .notModified, headerFields: fields) }
        } else if let since = requestFields[.ifModifiedSince].flatMap(HTTPDateParsing.seconds), modified <= since {
            return HTTPServerResponse(status: .notModified, headerFields: fields)
        }
        fields[.contentType] = type
        if request.method == .get, let range = requestFields[.range], rangeStillValid(requestFields[.ifRange]) {
            switch ByteRanges.resolve(range, size: size) {
            case .whole:
                break
            case .unsatisfiable:
                var response = HTTPServerResponse.status(.rangeNotSatisfiable)
                response.headerFields[.contentRange] = "bytes */\(size)"
                return response
            case .ranges(let ranges) where ranges.count == 1:
                let range = ranges[0]
                fields[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
                return HTTPServerResponse(
                    status: .partialContent, headerFields: fields,
                    body: body(parts: [(range, [])], suffix: []))
            case .ranges(let ranges):
                // Random, so no file (uploaded by someone, say) can predict and contain it.
                var random = SystemRandomNumberGenerator()
                let boundary = String(random.next() as UInt64, radix: 36) + String(random.next() as UInt64, radix: 36)
                var parts: [(Range<Int>, [UInt8])] = []
                for range in ranges {
                    let head =
                        "\r\n--\(boundary)\r\nContent-Type: \(type)\r\n"
                        + "Content-Range: bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)\r\n\r\n"
                    parts.append((range, Array(head.utf8)))
                }
                fields[.contentType] = "multipart/byteranges; boundary=\(boundary)"
                return HTTPServerResponse(
                    status: .partialContent, headerFields: fields,
                    body: body(parts: parts, suffix: Array("\r\n--\(boundary)--\r\n".utf8)))
            }
        }
        return HTTPServerResponse(status: .ok, headerFields: fields, body: body(parts: [(0..<size, [])], suffix: []))
    }

    /// `If-Range`: the ranges apply only if the file is still the one the client has.
    private func rangeStillValid(_ ifRange: String?) -> Bool {
        guard let ifRange else { return true }
        if ifRange.hasPrefix("\"") { return ifRange == eTag }
        return HTTPDateParsing.seconds(ifRange) == modified
    }

    /// Whether an `If-None-Match` list holds `tag` (weak comparison) or is `*`.
    static func matches(_ list: String, _ tag: String) -> Bool {
        let bare = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
        for item in list.split(separator: ",") {
            let candidate = item.trimmed
            if candidate == "*" { return true }
            if (candidate.hasPrefix("W/") ? String(candidate.dropFirst(2)) : candidate) == bare { return true }
        }
        return false
    }

    /// A body of these file ranges, each after its own prefix bytes, then `suffix`; the file is
    /// opened only when the server sends the body (never for HEAD) and closed when it is done.
    private func body(parts: [(Range<Int>, [UInt8])], suffix: [UInt8]) -> HTTPResponseBody {
        let length = parts.reduce(suffix.count) { $0 + $1.0.count + $1.1.count }
        let path = self.path
        let device = info.st_dev
        let inode = info.st_ino
        let size = self.size
        let chunkSize = self.chunkSize
        return .stream(length: length) { writer in
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw StaticFileError.fileChanged(path) }
            defer { close(fd) }
            var now = stat()
            guard fstat(fd, &now) == 0, now.st_dev == device, now.st_ino == inode, Int(now.st_size) == size else {
                throw StaticFileError.fileChanged(path)
            }
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            for (range, prefix) in parts {
                try await writer.write(prefix)
                var offset = range.lowerBound
                while offset < range.upperBound {
                    let want = min(chunkSize, range.upperBound - offset)
                    let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
                    if got < 0 {
                        if errno == EINTR { continue }
                        throw StaticFileError.readFailed(path, errno)
                    }
                    guard got > 0 else { throw StaticFileError.fileChanged(path) }
                    try await writer.write(Array(buffer[..<got]))
                    offset += got
                }
            }
            try await writer.write(suffix)
        }
    }
}
