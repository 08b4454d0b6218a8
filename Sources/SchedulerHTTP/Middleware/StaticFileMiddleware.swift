import Glibc
import HTTPTypes

/// Serves files below a root directory for GET and HEAD; any other request, or a path with no
/// file, goes on to `next`.
///
/// - `Content-Type` by extension (``MediaTypes``), `ETag` (size and modification time),
///   `Last-Modified`, `Accept-Ranges: bytes`.
/// - `If-None-Match` and `If-Modified-Since` answered with 304.
/// - `Range` with one range (206 with `Content-Range`) or several (206
///   `multipart/byteranges`), `If-Range`, and 416 when no range is satisfiable.
/// - No escape from the root: dot segments (also encoded), encoded slashes, backslashes and NUL
///   bytes get 400, and a path whose real location (symlinks resolved) is outside the root 403.
/// - Files are read in chunks as the connection takes them (``chunkSize``), never whole; the
///   reads are plain `pread` calls on the connection's loop thread (fine for local disks, not
///   for slow network file systems).
///
/// ```swift
/// router.use(try StaticFileMiddleware(root: "public", urlPrefix: "/static"))
/// ```
public struct StaticFileMiddleware: HTTPMiddleware {
    /// The root directory, canonical (symlinks resolved).
    public let root: String
    /// The request path prefix the files are served under (`/` by default).
    public let urlPrefix: String
    /// The file served for a directory (`index.html`); nil serves no directories.
    public var indexFile: String?
    /// Bytes read from the file per write.
    public var chunkSize: Int

    /// Serves the files below `root` under `urlPrefix`; throws if `root` is not a directory.
    public init(
        root: String, urlPrefix: String = "/", indexFile: String? = "index.html", chunkSize: Int = 64 << 10
    ) throws(StaticFileError) {
        guard let resolved = StaticFilePath.realPath(root) else { throw .rootNotFound(root) }
        var info = stat()
        guard stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw .rootNotFound(root) }
        self.root = resolved
        var prefix = urlPrefix.hasPrefix("/") ? urlPrefix : "/" + urlPrefix
        while prefix.count > 1 && prefix.hasSuffix("/") { prefix.removeLast() }
        self.urlPrefix = prefix
        self.indexFile = indexFile
        self.chunkSize = max(1, chunkSize)
    }

    /// Serves the file the request names, or calls `next`.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        let method = request.method
        guard method == .get || method == .head else { return try await next(request, context) }
        let target = request.path ?? "/"
        let path = targetPath(target)
        let rest: Substring
        if urlPrefix == "/" {
            rest = path
        } else if path == urlPrefix || path.hasPrefix(urlPrefix + "/") {
            rest = path.dropFirst(urlPrefix.count)
        } else {
            return try await next(request, context)
        }
        let segments: [String]
        switch StaticFilePath.segments(rest) {
        case .refused(let reason): return .status(.badRequest, "refused path: \(reason)")
        case .segments(let found): segments = found
        }
        let candidate = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard var resolved = StaticFilePath.realPath(candidate) else { return try await next(request, context) }
        guard StaticFilePath.isInside(resolved, root: root) else { return .status(.forbidden, "outside the root") }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return try await next(request, context) }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard let indexFile else { return try await next(request, context) }
            guard path.hasSuffix("/") else {
                var response = HTTPServerResponse(status: .movedPermanently)
                response.headerFields[.location] = String(path) + "/"
                return response
            }
            guard let index = StaticFilePath.realPath(resolved + "/" + indexFile),
                StaticFilePath.isInside(index, root: root), stat(index, &info) == 0
            else { return try await next(request, context) }
            resolved = index
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return try await next(request, context) }
        return StaticFileResponse(
            path: resolved, info: info, chunkSize: chunkSize
        ).response(to: request.head)
    }
}

/// Why a static file could not be served.
public enum StaticFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The root is missing or not a directory.
    case rootNotFound(String)
    /// The file changed (or vanished) between the answer's head and its body.
    case fileChanged(String)
    /// Reading the file failed with `errno`.
    case readFailed(String, Int32)

    /// What went wrong, in words.
    public var description: String {
        switch self {
        case .rootNotFound(let path): "static root \(path) is not a directory"
        case .fileChanged(let path): "\(path) changed while it was being sent"
        case .readFailed(let path, let code): "reading \(path) failed: errno \(code)"
        }
    }
}
