import CZlib

/// Decodes a `Content-Encoding: gzip` body as it streams (zlib's inflate), failing once the
/// decoded bytes pass `limit` (a decompression bomb) or the data is not gzip.
final class GzipDecoder {
    let limit: Int
    private var stream = z_stream()
    private var produced = 0
    private var ended = false

    init(limit: Int) throws(HTTPClientError) {
        self.limit = limit
        // 31: gzip only (15 window bits + 16).
        guard czlib_inflate_init(&stream, 31) == Z_OK else { throw .decompressionFailed("inflateInit failed") }
    }

    deinit {
        inflateEnd(&stream)
    }

    /// The decoded bytes of `bytes` (possibly none yet).
    func decode(_ bytes: [UInt8]) throws(HTTPClientError) -> [UInt8] {
        if ended {
            if bytes.isEmpty { return [] }
            throw .decompressionFailed("bytes after the end of the gzip stream")
        }
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let status: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            var status = Z_OK
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output += out[0..<(out.count - Int(stream.avail_out))]
                }
                if output.count + produced > limit { return Z_MEM_ERROR }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
            stream.next_in = nil
            return status
        }
        produced += output.count
        switch status {
        case Z_OK, Z_BUF_ERROR: break
        case Z_STREAM_END: ended = true
        case Z_MEM_ERROR: throw .decompressionFailed("decoded body larger than \(limit) bytes")
        default: throw .decompressionFailed("invalid gzip data (zlib status \(status))")
        }
        return output
    }

    /// Checks that the gzip stream ended; throws for a truncated one.
    func finish() throws(HTTPClientError) -> [UInt8] {
        guard ended else { throw .decompressionFailed("the gzip stream is truncated") }
        return []
    }
}
