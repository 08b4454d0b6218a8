import Glibc

/// Turns the part of a request path below a static root into safe path segments, refusing
/// whatever could climb out of the root or confuse the file system: `..` and `.` segments
/// (also percent-encoded, `%2e%2e`), encoded slashes, backslashes (raw or encoded), NUL bytes
/// and malformed escapes.
enum StaticFilePath {
    enum Outcome: Equatable {
        /// Decoded segments (empty segments from `//` dropped), to join below the root.
        case segments([String])
        /// Not a path this server serves.
        case refused(String)
    }

    static func segments(_ rawPath: Substring) -> Outcome {
        var segments: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard !raw.contains("\\") else { return .refused("backslash in path") }
            guard let decoded = PercentDecoding.decode(String(raw)) else { return .refused("malformed escape") }
            guard !decoded.utf8.contains(0) else { return .refused("NUL in path") }
            guard !decoded.contains("/"), !decoded.contains("\\") else { return .refused("encoded separator") }
            guard decoded != "..", decoded != "." else { return .refused("dot segment") }
            segments.append(decoded)
        }
        return .segments(segments)
    }

    /// The canonical absolute path with every symlink resolved (realpath), or nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` (canonical) is `root` or below it.
    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }
}
