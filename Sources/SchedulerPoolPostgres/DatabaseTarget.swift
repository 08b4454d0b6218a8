import Foundation

/// Where a shared pool's database is: a libpq connection URL or keyword string, and optionally
/// a password kept apart from it. `description` masks every password, so errors and logs can
/// name the target safely. Without a password here libpq also reads `PGPASSWORD` and `~/.pgpass`.
public struct DatabaseTarget: Sendable, Hashable, CustomStringConvertible {
    /// The connection string as given (may hold a password: never print it, print `description`).
    let connectionString: String
    /// A password given apart from the connection string, or `nil`.
    let password: String?

    /// A target from a URL such as `postgresql://user@db.example:5432/ipam` (or libpq
    /// `key=value` text) and an optional password that overrides one in the URL.
    public init(_ connectionString: String, password: String? = nil) {
        self.connectionString = connectionString
        self.password = password
    }

    /// A target whose password is the first line of `passwordFile`; throws
    /// `.invalidConfiguration` naming the file (never its content) when it cannot be read.
    public init(_ connectionString: String, passwordFile: String) throws(SharedPoolError) {
        guard let file = fopen(passwordFile, "r") else {
            throw .invalidConfiguration(
                "cannot read password file " + passwordFile + ": " + String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        while true {
            let c = fgetc(file)
            if c == EOF || c == 10 || c == 13 { break }
            bytes.append(UInt8(truncatingIfNeeded: c))
        }
        self.init(connectionString, password: String(decoding: bytes, as: UTF8.self))
    }

    /// The connection string with every password replaced by `***`.
    public var description: String { Self.redact(connectionString) }

    /// `text` with the password of a URL's user info and every `password=` value masked.
    static func redact(_ text: String) -> String {
        var chars = Array(text)
        if let scheme = text.range(of: "://") {
            let start = text.distance(from: text.startIndex, to: scheme.upperBound)
            var end = start
            while end < chars.count, chars[end] != "/", chars[end] != "?" { end += 1 }
            if let at = chars[start..<end].lastIndex(of: "@"),
                let colon = chars[start..<at].firstIndex(of: ":")
            {
                chars.replaceSubrange((colon + 1)..<at, with: Array("***"))
            }
        }
        var result = String(chars)
        var searchFrom = result.startIndex
        while let found = result.range(
            of: "password=", options: [.caseInsensitive], range: searchFrom..<result.endIndex)
        {
            var end = found.upperBound
            while end < result.endIndex, result[end] != "&", result[end] != " " { end = result.index(after: end) }
            result.replaceSubrange(found.upperBound..<end, with: "***")
            searchFrom = result.index(found.upperBound, offsetBy: 3)
        }
        return result
    }

    /// `message` with this target's passwords masked (belt and braces over libpq's messages).
    func scrub(_ message: String) -> String {
        var result = message
        for secret in [password, Self.urlPassword(connectionString)].compactMap({ $0 }) where secret.count >= 1 {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }

    /// The password in a URL's user info, if any.
    static func urlPassword(_ text: String) -> String? {
        guard let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
        guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return nil }
        let secret = String(rest[rest.index(after: colon)..<at])
        return secret.isEmpty ? nil : secret
    }
}
