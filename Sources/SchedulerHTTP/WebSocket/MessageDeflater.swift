import CZlib

/// The zlib streams of one permessage-deflate connection: raw deflate out, raw inflate in.
final class MessageDeflater {
    private let deflateStream: UnsafeMutablePointer<z_stream>
    private let inflateStream: UnsafeMutablePointer<z_stream>
    private let agreement: DeflateAgreement
    let minimumSize: Int
    // One scratch buffer per direction: the sender compresses while the reader inflates.
    private var deflateScratch = [UInt8](repeating: 0, count: 16 << 10)
    private var inflateScratch = [UInt8](repeating: 0, count: 16 << 10)
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init(_ agreement: DeflateAgreement, settings: WebSocketCompression) throws(WebSocketError) {
        self.agreement = agreement
        minimumSize = settings.minimumSize
        deflateStream = .allocate(capacity: 1)
        deflateStream.initialize(to: z_stream())
        inflateStream = .allocate(capacity: 1)
        inflateStream.initialize(to: z_stream())
        let deflateCode = czlib_deflate_init2(
            deflateStream, Int32(settings.level), -Int32(agreement.compressWindowBits), Int32(settings.memoryLevel))
        let inflateCode = czlib_inflate_init_counted(inflateStream, -Int32(agreement.decompressWindowBits))
        guard deflateCode == Z_OK, inflateCode == Z_OK else {
            if deflateCode == Z_OK { deflateEnd(deflateStream) }
            if inflateCode == Z_OK { inflateEnd(inflateStream) }
            deflateStream.deallocate()
            inflateStream.deallocate()
            throw WebSocketError(
                .internalError, "zlib could not set up permessage-deflate (\(deflateCode), \(inflateCode))")
        }
    }

    deinit {
        deflateEnd(deflateStream)
        inflateEnd(inflateStream)
        deflateStream.deallocate()
        inflateStream.deallocate()
    }

    /// The compressed form of one whole message, without the final `00 00 FF FF`.
    func compress(_ input: UnsafeRawBufferPointer) throws(WebSocketError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 2 + 16)
        let stream = deflateStream
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        var failure: Int32?
        deflateScratch.withUnsafeMutableBufferPointer { chunk in
            while true {
                stream.pointee.next_out = chunk.baseAddress
                stream.pointee.avail_out = UInt32(chunk.count)
                let rc = deflate(stream, Z_SYNC_FLUSH)
                let produced = chunk.count - Int(stream.pointee.avail_out)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<produced]))
                if rc == Z_BUF_ERROR { break }
                guard rc == Z_OK else {
                    failure = rc
                    break
                }
                if stream.pointee.avail_out != 0 { break }
            }
        }
        stream.pointee.next_in = nil
        if let failure { throw WebSocketError(.internalError, "zlib deflate failed (\(failure))") }
        if output.count >= 4 && Array(output.suffix(4)) == Self.tail { output.removeLast(4) }
        // Nothing new to flush (an empty message right after another): zlib writes nothing, but
        // the receiver appends `00 00 FF FF`, which must then follow an empty block's first byte
        // (RFC 7692 §7.2.3.6).
        if output.isEmpty { output = [0x00] }
        if agreement.resetCompressor { deflateReset(stream) }
        return output
    }

    /// The decompressed message of `pieces` (its frames' payloads), throwing 1009 past `limit` bytes.
    func decompress(_ pieces: [[UInt8]], limit: Int) throws(WebSocketError) -> [UInt8] {
        var output: [UInt8] = []
        for piece in pieces + [Self.tail] {
            let result = piece.withUnsafeBytes { raw in
                Result { () throws(WebSocketError) in try inflate(raw, into: &output, limit: limit) }
            }
            try result.get()
        }
        return output
    }

    /// The compressed message's trailer (`00 00 FF FF`), fed after its last frame.
    static var messageTail: [UInt8] { tail }

    /// One bounded step of a streamed inflate: consumes what it can of `input`, producing at most
    /// one scratch buffer (16 KiB) of output. `full` says more output may wait inside zlib (call
    /// again, with the rest of the input or none).
    func inflateStep(_ input: UnsafeRawBufferPointer) throws(WebSocketError) -> (
        consumed: Int, output: [UInt8], full: Bool
    ) {
        let stream = inflateStream
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil }
        var rc: Int32 = Z_OK
        var output: [UInt8] = []
        var full = false
        inflateScratch.withUnsafeMutableBufferPointer { chunk in
            stream.pointee.next_out = chunk.baseAddress
            stream.pointee.avail_out = UInt32(chunk.count)
            rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
            let produced = chunk.count - Int(stream.pointee.avail_out)
            output = Array(UnsafeBufferPointer(rebasing: chunk[..<produced]))
            full = stream.pointee.avail_out == 0
        }
        let consumed = input.count - Int(stream.pointee.avail_in)
        if rc == Z_STREAM_END { inflateReset(stream) }
        guard rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END else {
            throw WebSocketError(.invalidPayload, "a compressed message does not inflate (zlib \(rc))")
        }
        return (consumed, output, full)
    }

    private func inflate(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int) throws(WebSocketError)
    {
        guard input.count > 0 else { return }
        let stream = inflateStream
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil }
        var failure: WebSocketError?
        inflateScratch.withUnsafeMutableBufferPointer { chunk in
            while true {
                stream.pointee.next_out = chunk.baseAddress
                stream.pointee.avail_out = UInt32(chunk.count)
                let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = chunk.count - Int(stream.pointee.avail_out)
                if output.count + produced > limit {
                    failure = WebSocketError(
                        .messageTooBig, "a compressed message inflates past the limit of \(limit) bytes")
                    return
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<produced]))
                if rc == Z_BUF_ERROR { return }
                if rc == Z_STREAM_END {
                    // A final block ends the stream; the next message starts a new one.
                    inflateReset(stream)
                    if stream.pointee.avail_in == 0 { return }
                    continue
                }
                guard rc == Z_OK else {
                    failure = WebSocketError(.invalidPayload, "a compressed message does not inflate (zlib \(rc))")
                    return
                }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
            }
        }
        if let failure { throw failure }
    }
}
