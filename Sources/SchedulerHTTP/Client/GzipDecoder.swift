/// Decodes a `Content-Encoding: gzip` body as it streams, bounded in output size.
/// Placeholder until zlib is available in this branch: refuses to decode.
final class GzipDecoder {
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func decode(_ bytes: [UInt8]) throws(HTTPClientError) -> [UInt8] {
        throw .decompressionFailed("gzip decoding is not built in")
    }
    func finish() throws(HTTPClientError) -> [UInt8] { [] }
}
