import CZlib

/// A zlib deflate stream: gzip (RFC 1952) or zlib-wrapped deflate (RFC 1950, HTTP's `deflate`).
final class Deflater: @unchecked Sendable {
    // @unchecked: used by one task at a time, the one writing the response body.
    enum Format: Sendable {
        case gzip
        case deflate

        var windowBits: Int32 { self == .gzip ? 15 + 16 : 15 }
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var open = false

    /// A stream at `level` (0 to 9, or -1 for zlib's default); throws if zlib cannot set one up.
    init(_ format: Format, level: Int32) throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = czlib_deflate_init(stream, level, format.windowBits)
        guard rc == Z_OK else {
            stream.deallocate()
            throw CompressionError(code: rc)
        }
        open = true
    }

    deinit {
        if open { deflateEnd(stream) }
        stream.deallocate()
    }

    /// Compresses `input`; `flush` is `Z_NO_FLUSH`, `Z_SYNC_FLUSH` (everything so far
    /// decodable by the client now) or `Z_FINISH` (the end of the stream).
    func compress(_ input: [UInt8], flush: Int32) throws(CompressionError) -> [UInt8] {
        // zlib counts input in 32 bits: feed a huge array in pieces.
        let piece = 1 << 30
        if input.count > piece {
            var output: [UInt8] = []
            var offset = 0
            while input.count - offset > piece {
                output += try compress(Array(input[offset..<offset + piece]), flush: Z_NO_FLUSH)
                offset += piece
            }
            return output + (try compress(Array(input[offset...]), flush: flush))
        }
        var output: [UInt8] = []
        var bytes = input
        let count = bytes.count
        var failure: Int32?
        bytes.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = UInt32(count)
            var chunk = [UInt8](repeating: 0, count: max(1024, min(count / 2 + 64, 1 << 20)))
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(outBuffer.count)
                    let rc = deflate(stream, flush)
                    return (rc, outBuffer.count - Int(stream.pointee.avail_out))
                }
                output.append(contentsOf: chunk[..<produced])
                if rc == Z_STREAM_END { break }
                guard rc == Z_OK || rc == Z_BUF_ERROR else {
                    failure = rc
                    break
                }
                // Z_BUF_ERROR: no progress was possible, so everything asked for is out. Room
                // left in the output: all input was taken (and flushed, if asked), unless finishing.
                if rc == Z_BUF_ERROR { break }
                if flush != Z_FINISH && stream.pointee.avail_out != 0 { break }
            }
            stream.pointee.next_in = nil
        }
        if let failure { throw CompressionError(code: failure) }
        return output
    }

    /// All of `input` compressed in one stream.
    static func compress(_ input: [UInt8], format: Format, level: Int32) throws(CompressionError) -> [UInt8] {
        try Deflater(format, level: level).compress(input, flush: Z_FINISH)
    }
}

/// zlib refused to set up or run a compression stream.
public struct CompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// zlib's return code.
    public let code: Int32

    /// The code in words.
    public var description: String { "zlib error \(code)" }
}
