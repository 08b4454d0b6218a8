/// The path of a request target: everything before the first `?`, found on the UTF-8 bytes
/// (`?` is ASCII; a Character search costs grapheme breaking on every request).
func targetPath(_ target: String) -> Substring {
    guard let query = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
    return target[..<query]
}
