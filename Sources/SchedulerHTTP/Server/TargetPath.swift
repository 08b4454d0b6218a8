/// The path of a request target: everything before the first `?`, found on the UTF-8 bytes
/// (`?` is ASCII; a Character search costs grapheme breaking on every request).
func targetPath(_ target: String) -> Substring {
    let query = target.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "?") { return index }
            index += 1
        }
        return nil
    }
    switch query {
    case .some(nil): return target[...]
    case .some(let offset?): return target[..<target.utf8.index(target.utf8.startIndex, offsetBy: offset)]
    case nil:
        guard let index = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
        return target[..<index]
    }
}
