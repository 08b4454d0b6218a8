import Glibc
import Testing

/// A response as the test client read it off the wire.
struct RawResponse {
    var status: Int
    /// The status line's reason phrase.
    var reason = ""
    var fields: [(name: String, value: String)]
    var body: [UInt8]
    var trailers: [(name: String, value: String)] = []
    var chunkSizes: [Int] = []

    func field(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct RawClientError: Error, Equatable, CustomStringConvertible {
    let description: String
}

/// A blocking loopback HTTP client that writes exact bytes and parses responses itself, so the
/// server is checked by code independent of the library's own parser. Every read times out.
final class RawClient: @unchecked Sendable {
    // @unchecked: one thread may send while another reads; only the reader touches `buffer`.
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16, host: UInt32 = 0x7f00_0001, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawClientError(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = host.bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw RawClientError(description: "connect: errno \(code)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw RawClientError(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads more bytes; false at end of stream. Throws on timeout or error.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var count = -1
        repeat {
            count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while count < 0 && errno == EINTR
        if count < 0 {
            throw RawClientError(description: errno == EAGAIN ? "receive timed out" : "recv: errno \(errno)")
        }
        if count == 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    private func line() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: 10) {
                var bytes = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                if bytes.last == 13 { bytes.removeLast() }
                return String(decoding: bytes, as: UTF8.self)
            }
            guard try fill() else { throw RawClientError(description: "closed inside a line") }
        }
    }

    private func bytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw RawClientError(description: "closed inside a body") }
        }
        let taken = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return taken
    }

    private func fields() throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        while true {
            let text = try line()
            if text.isEmpty { return fields }
            let parts = text.split(separator: ":", maxSplits: 1)
            fields.append((String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""))
        }
    }

    /// Reads one response; `noBody` for answers to HEAD.
    func readResponse(noBody: Bool = false) throws -> RawResponse {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw RawClientError(description: "bad status line: \(statusLine)")
        }
        var response = RawResponse(status: status, fields: try fields(), body: [])
        response.reason = parts.count > 2 ? String(parts[2]) : ""
        if noBody || status / 100 == 1 || status == 204 || status == 304 { return response }
        if response.field("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw RawClientError(description: "bad chunk size: \(sizeLine)")
                }
                if size == 0 { break }
                response.chunkSizes.append(size)
                response.body += try bytes(size)
                guard try line().isEmpty else { throw RawClientError(description: "chunk without CRLF") }
            }
            response.trailers = try fields()
        } else if let length = response.field("Content-Length").flatMap({ Int($0) }) {
            response.body = try bytes(length)
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// Whether the server closed the connection (end of stream with nothing more to read).
    func readsEndOfStream() -> Bool {
        guard buffer.isEmpty else { return false }
        return (try? fill()) == false
    }
}
