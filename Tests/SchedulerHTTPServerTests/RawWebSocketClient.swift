import Glibc

/// A frame as the raw test client read it.
struct RawFrame: Equatable {
    var fin: Bool
    var rsv1: Bool
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]

    /// The close code of a close frame.
    var closeCode: Int? { opcode == 8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
}

/// A WebSocket client on a blocking socket that writes hand-built frames (masked with a fixed
/// key unless told otherwise) and parses frames itself, independent of the library's codec.
final class RawWebSocketClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    var responseHead = ""

    init(port: UInt16, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw RawClientError(description: "connect: errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends an upgrade request for `path` with `extra` header lines; returns the response head.
    @discardableResult
    func handshake(path: String = "/ws", extra: [String] = []) throws -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for line in extra { request += line + "\r\n" }
        try send(Array((request + "\r\n").utf8))
        responseHead = try readHead()
        return responseHead
    }

    func readHead() throws -> String {
        while true {
            if let end = findHeadEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeSubrange(..<(end + 4))
                return head
            }
            guard try fill() else { throw RawClientError(description: "closed inside the response head") }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw RawClientError(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// A hand-built frame: `first` is the first byte (FIN, RSV, opcode) as given.
    static func frame(_ first: UInt8, _ payload: [UInt8], mask: [UInt8]? = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
        var out: [UInt8] = [first]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count < 65536 {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        if let mask {
            out += mask
            for (index, byte) in payload.enumerated() { out.append(byte ^ mask[index % 4]) }
        } else {
            out += payload
        }
        return out
    }

    func sendFrame(_ first: UInt8, _ payload: [UInt8], mask: [UInt8]? = [0x37, 0xFA, 0x21, 0x3D]) throws {
        try send(Self.frame(first, payload, mask: mask))
    }

    /// Reads one frame; nil at end of stream.
    func readFrame() throws -> RawFrame? {
        guard try need(2) else { return nil }
        let first = buffer[0]
        let second = buffer[1]
        var length = Int(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard try need(4) else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            guard try need(10) else { return nil }
            length = 0
            for index in 2..<10 { length = length << 8 | Int(buffer[index]) }
            offset = 10
        }
        let masked = second & 0x80 != 0
        var mask: [UInt8] = []
        if masked {
            guard try need(offset + 4) else { return nil }
            mask = Array(buffer[offset..<offset + 4])
            offset += 4
        }
        guard try need(offset + length) else { return nil }
        var payload = Array(buffer[offset..<offset + length])
        if masked { for index in payload.indices { payload[index] ^= mask[index % 4] } }
        buffer.removeSubrange(..<(offset + length))
        return RawFrame(
            fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, opcode: first & 0x0F, masked: masked, payload: payload)
    }

    /// Whether the peer closed the TCP connection next (nothing more to read).
    func readsEndOfStream() -> Bool {
        guard buffer.isEmpty else { return false }
        return (try? fill()) == false
    }

    private func need(_ count: Int) throws -> Bool {
        while buffer.count < count {
            guard try fill() else { return false }
        }
        return true
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var count = -1
        repeat {
            count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while count < 0 && errno == EINTR
        if count < 0 {
            if errno == ECONNRESET { return false }
            throw RawClientError(description: errno == EAGAIN ? "receive timed out" : "recv: errno \(errno)")
        }
        if count == 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }
}
