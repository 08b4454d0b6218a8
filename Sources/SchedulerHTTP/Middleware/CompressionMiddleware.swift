import CZlib
import HTTPTypes

/// Compresses response bodies with gzip or deflate (zlib), as the request's `Accept-Encoding`
/// asks (q-values honoured, `q=0` refuses), and adds `Vary: Accept-Encoding`.
///
/// Left alone: bodies under ``minimumSize`` (1 KiB by default; set it lower, even 0, to
/// compress small JSON answers), types that are compressed already (images but SVG, audio,
/// video, zip, gzip and the like), responses that have a `Content-Encoding` or
/// `Cache-Control: no-transform`, 206 and bodiless statuses. A streamed body is compressed as
/// a stream: each write is deflated and flushed (`Z_SYNC_FLUSH`), so the client can decode
/// every chunk as it arrives. A strong `ETag` becomes weak, since the bytes change.
public struct CompressionMiddleware: HTTPSynchronousMiddleware {
    /// Bodies with fewer bytes than this are sent as they are (a stream of unknown length is
    /// always compressed).
    public var minimumSize: Int
    /// zlib's level: 1 (fastest) to 9 (smallest), or -1 for its default (6).
    public var level: Int32

    /// Compresses bodies of at least `minimumSize` bytes at `level`.
    public init(minimumSize: Int = 1024, level: Int32 = -1) {
        self.minimumSize = minimumSize
        self.level = level
    }

    /// Calls `next` and compresses its answer when that is worth it and the client accepts it.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        try compressed(try await next(request, context), for: request)
    }

    /// Calls `next` and compresses its answer when that is worth it and the client accepts it,
    /// synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        try compressed(try next(request, context), for: request)
    }

    /// `response` compressed for what `request` accepts, or as it is.
    private func compressed(_ response: HTTPServerResponse, for request: HTTPServerRequest) throws
        -> HTTPServerResponse
    {
        // The size first: the common small answer costs one comparison.
        if let count = response.body.byteCount, count < minimumSize { return response }
        guard Self.mayCompress(response.status, response.headerFields) else { return response }
        var response = response
        response.headerFields.addVary("Accept-Encoding")
        guard let format = ContentCodingNegotiation.choose(request.headerValue(.acceptEncoding)) else {
            return response
        }
        let level = self.level
        switch response.body.storage {
        case .bytes(let bytes):
            response.body = .bytes(try Deflater.compress(bytes, format: format, level: level))
        case .text(let text):
            response.body = .bytes(try Deflater.compress(Array(text.utf8), format: format, level: level))
        case .stream(_, let produce):
            let deflater = try Deflater(format, level: level)
            response.body = .transformedStream(
                length: nil, produce,
                write: { bytes, writer in try await writer.write(deflater.compress(bytes, flush: Z_SYNC_FLUSH)) },
                finish: { writer in try await writer.write(deflater.compress([], flush: Z_FINISH)) })
        }
        response.headerFields[.contentEncoding] = format == .gzip ? "gzip" : "deflate"
        response.headerFields[.contentLength] = nil
        if let tag = response.headerFields[.eTag], !tag.hasPrefix("W/") {
            response.headerFields[.eTag] = "W/" + tag
        }
        return response
    }

    /// Whether a response of this head may be compressed at all (whatever the client accepts).
    static func mayCompress(_ status: HTTPResponse.Status, _ fields: HTTPFields) -> Bool {
        let code = status.code
        if code < 200 || code == 204 || code == 206 || code == 304 { return false }
        // One pass over the fields, no joined values: a field of these names is rare.
        for field in fields {
            switch field.name {
            case .contentEncoding, .contentRange: return false
            case .cacheControl where field.value.lowercased().contains("no-transform"): return false
            case .contentType where isCompressedType(field.value): return false
            default: continue
            }
        }
        return true
    }

    /// Types whose bytes are compressed already.
    static func isCompressedType(_ contentType: String) -> Bool {
        var contentType = contentType
        // On the UTF-8 bytes: the type before any parameter, without surrounding blanks.
        let essence = contentType.withUTF8 { utf8 -> String? in
            var start = 0
            var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.count
            while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start += 1 }
            while end > start, utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09 { end -= 1 }
            let essence = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[start..<end])
            // Text and JSON types (the usual answers) are decided without a lowercased copy.
            if essence.starts(with: "text/".utf8) || essence.elementsEqual("application/json".utf8) { return nil }
            return String(decoding: essence, as: UTF8.self)
        }
        guard let type = essence?.lowercased() else { return false }
        if type == "image/svg+xml" { return false }
        if type.hasPrefix("image/") || type.hasPrefix("video/") || type.hasPrefix("audio/") { return true }
        return compressedTypes.contains(type)
    }

    private static let compressedTypes: Set<String> = [
        "application/zip", "application/gzip", "application/x-gzip", "application/x-bzip2", "application/x-xz",
        "application/zstd", "application/x-7z-compressed", "application/x-rar-compressed",
        "font/woff", "font/woff2",
    ]
}
