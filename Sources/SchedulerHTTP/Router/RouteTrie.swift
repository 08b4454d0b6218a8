/// The routes of a router as a trie of path segments: literal segments, `:name` parameters,
/// `*` (any one segment) and `**` (the rest of the path).
///
/// Lookup walks one node per segment, trying the most specific child first (literal, then
/// parameter, then `*`, then `**`) and backing up only where a more specific branch dead-ends,
/// so its cost depends on the path's depth, not on how many routes there are.
struct RouteTrie<Value> {
    // @unchecked: a router changes a trie only while no other value shares it (TrieBox), so a
    // node a request reads is never written; for the same reason the properties need no dynamic
    // exclusivity check on every read (`@exclusivity(unchecked)`: a lookup reads several per segment).
    final class Node: @unchecked Sendable {
        @exclusivity(unchecked) var literals = LiteralChildren<Node>()
        @exclusivity(unchecked) var parameter: (name: String, node: Node)?
        @exclusivity(unchecked) var wildcard: Node?
        @exclusivity(unchecked) var catchAll: Node?
        /// Values by method at a route's end, in the order they were added (a route has few).
        @exclusivity(unchecked) var values: [(method: String, value: Value)] = []
        /// The names of the `:name` parameters on the way from the root to this node, in order (a
        /// node is reached by one pattern prefix only, so a match needs to record only where each
        /// parameter's bytes are).
        @exclusivity(unchecked) var parameterNames: [String] = []

        /// The value for `method`, or nil.
        func value(for method: String) -> Value? {
            for entry in values where entry.method == method { return entry.value }
            return nil
        }
    }

    var root = Node()

    init(root: Node = Node()) { self.root = root }

    /// Adds `value` for `method` at `path` (e.g. `/users/:id`); an existing one is replaced.
    func insert(path: String, method: String, value: Value) throws(RouterError) {
        var node = root
        var names: [String] = []
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
                names.append(name)
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
                node = node.literals.child(segment) { Node() }
            }
        }
        node.parameterNames = names
        if let index = node.values.firstIndex(where: { $0.method == method }) {
            node.values[index].value = value
        } else {
            node.values.append((method, value))
        }
    }

    /// Where a match found its parameters and what `**` took: byte ranges of the path.
    struct Captures {
        var parameters = SmallList<Range<Int>>()
        var catchAll: Range<Int>?
    }

    /// Calls `body` with the node of the most specific route for `path` (nil when none matches),
    /// the path's UTF-8 bytes and where the parameters are in them. Walks the bytes segment by
    /// segment: no array of segments, no hashing of strings, nothing copied.
    func match<Result>(
        _ path: Substring, _ body: (Node?, UnsafeBufferPointer<UInt8>, Captures) -> Result
    ) -> Result {
        if let result = path.utf8.withContiguousStorageIfAvailable({ match(in: $0, body) }) { return result }
        let bytes = Array(path.utf8)
        return bytes.withUnsafeBufferPointer { match(in: $0, body) }
    }

    private func match<Result>(
        in bytes: UnsafeBufferPointer<UInt8>, _ body: (Node?, UnsafeBufferPointer<UInt8>, Captures) -> Result
    ) -> Result {
        var first = 0
        if first < bytes.count, bytes[first] == UInt8(ascii: "/") { first += 1 }
        var captures = Captures()
        let node = match(root, from: first < bytes.count ? first : -1, bytes, &captures)
        return body(node, bytes, captures)
    }

    /// The node whose values answer the segments from byte `start` on (-1: none left).
    private func match(
        _ node: Node, from start: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ captures: inout Captures
    ) -> Node? {
        guard start >= 0 else {
            if !node.values.isEmpty { return node }
            // `/files/**` also matches `/files` itself, with an empty rest.
            if let all = node.catchAll, !all.values.isEmpty {
                captures.catchAll = bytes.count..<bytes.count
                return all
            }
            return nil
        }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
        let next = end < bytes.count ? end + 1 : -1
        if node.literals.count > 0,
            let child = node.literals.child(UnsafeBufferPointer(rebasing: bytes[start..<end])),
            let found = match(child, from: next, bytes, &captures)
        {
            return found
        }
        if let (_, child) = node.parameter, end > start {
            captures.parameters.append(start..<end)
            if let found = match(child, from: next, bytes, &captures) { return found }
            captures.parameters.removeLast()
        }
        if let child = node.wildcard, end > start, let found = match(child, from: next, bytes, &captures) {
            return found
        }
        if let all = node.catchAll, !all.values.isEmpty {
            captures.catchAll = start..<bytes.count
            return all
        }
        return nil
    }

    /// The `/`-separated segments of `path` after its leading `/` (empty ones kept, so `/a//b`
    /// has three), found on the UTF-8 view (`/` never occurs inside a multi-byte character).
    static func segments<S: StringProtocol>(_ path: S) -> [Substring] where S.SubSequence == Substring {
        let whole = path[...]
        let utf8 = whole.utf8
        var start = utf8.startIndex
        if start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        if start == utf8.endIndex { return [] }
        var segments: [Substring] = []
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

