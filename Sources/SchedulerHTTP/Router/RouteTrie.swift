/// The routes of a router as a trie of path segments: literal segments, `:name` parameters,
/// `*` (any one segment) and `**` (the rest of the path).
///
/// Lookup walks one node per segment, trying the most specific child first (literal, then
/// parameter, then `*`, then `**`) and backing up only where a more specific branch dead-ends,
/// so its cost depends on the path's depth, not on how many routes there are.
struct RouteTrie<Value> {
    final class Node {
        var literals: [Substring: Node] = [:]
        var parameter: (name: String, node: Node)?
        var wildcard: Node?
        var catchAll: Node?
        /// Values by method at a route's end.
        var values: [String: Value] = [:]
    }

    var root = Node()

    init(root: Node = Node()) { self.root = root }

    /// Adds `value` for `method` at `path` (e.g. `/users/:id`); an existing one is replaced.
    func insert(path: String, method: String, value: Value) throws(RouterError) {
        var node = root
        for segment in Self.segments(path) {
            if segment == "**" {
                let next = node.catchAll ?? Node()
                node.catchAll = next
                node = next
            } else if segment == "*" {
                let next = node.wildcard ?? Node()
                node.wildcard = next
                node = next
            } else if segment.first == ":" {
                let name = String(segment.dropFirst())
                guard !name.isEmpty else { throw .invalidPattern(path, "a parameter needs a name") }
                if let existing = node.parameter {
                    guard existing.name == name else {
                        throw .invalidPattern(path, "parameter :\(name) where another route has :\(existing.name)")
                    }
                    node = existing.node
                } else {
                    let next = Node()
                    node.parameter = (name, next)
                    node = next
                }
            } else {
                let next = node.literals[segment] ?? Node()
                node.literals[segment] = next
                node = next
            }
        }
        node.values[method] = value
    }

    /// What matched a path: the node's values and the captured parameters (raw, not decoded).
    struct Match {
        let values: [String: Value]
        var parameters: [(String, Substring)]
        var catchAll: Substring?
    }

    /// The most specific route for `path`, or nil.
    func match(_ path: Substring) -> Match? {
        let segments = Self.segments(path)
        var parameters: [(String, Substring)] = []
        return match(root, segments[...], path: path, &parameters)
    }

    private func match(
        _ node: Node, _ rest: ArraySlice<Substring>, path: Substring, _ parameters: inout [(String, Substring)]
    ) -> Match? {
        guard let segment = rest.first else {
            if !node.values.isEmpty { return Match(values: node.values, parameters: parameters) }
            // `/files/**` also matches `/files` itself, with an empty rest.
            if let all = node.catchAll, !all.values.isEmpty {
                return Match(values: all.values, parameters: parameters, catchAll: "")
            }
            return nil
        }
        let tail = rest.dropFirst()
        if let next = node.literals[segment], let found = match(next, tail, path: path, &parameters) {
            return found
        }
        if let (name, next) = node.parameter, !segment.isEmpty {
            parameters.append((name, segment))
            if let found = match(next, tail, path: path, &parameters) { return found }
            parameters.removeLast()
        }
        if let next = node.wildcard, !segment.isEmpty, let found = match(next, tail, path: path, &parameters) {
            return found
        }
        if let all = node.catchAll, !all.values.isEmpty {
            let start = segment.startIndex
            return Match(values: all.values, parameters: parameters, catchAll: path[start...])
        }
        return nil
    }

    /// The `/`-separated segments of `path` after its leading `/` (empty ones kept, so `/a//b`
    /// has three), found byte by byte on the UTF-8 view: `/` never occurs inside a multi-byte
    /// character, and this avoids `split`'s per-Character work on every request.
    static func segments<S: StringProtocol>(_ path: S) -> [Substring] where S.SubSequence == Substring {
        let whole = path[...]
        let utf8 = whole.utf8
        var start = utf8.startIndex
        if start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        if start == utf8.endIndex { return [] }
        var segments: [Substring] = []
        segments.reserveCapacity(4)
        var index = start
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                segments.append(whole[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        segments.append(whole[start..<utf8.endIndex])
        return segments
    }
}

/// Why a route could not be added.
public enum RouterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path pattern is malformed; the text says how.
    case invalidPattern(String, String)

    /// What is wrong, in words.
    public var description: String {
        switch self {
        case .invalidPattern(let path, let reason): "route \(path): \(reason)"
        }
    }
}

extension RouteTrie.Match: Sendable where Value: Sendable {}
