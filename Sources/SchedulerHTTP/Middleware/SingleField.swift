import HTTPTypes

extension HTTPFields {
    /// The value of the first field named `name`, found by a scan: unlike the subscript, it does
    /// not join repeated fields, so it costs no allocation for the per-request fields middleware
    /// reads (`X-Request-ID`).
    func firstValue(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// Whether `name` appears once and its value is `lowercaseValue` in any ASCII case: what
    /// `self[name]?.lowercased() == lowercaseValue` says, with no joined or lowercased copy.
    func hasSingle(_ name: HTTPField.Name, equalTo lowercaseValue: String) -> Bool {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return false }
            found = field.value
        }
        guard let found, found.utf8.count == lowercaseValue.utf8.count else { return false }
        return zip(found.utf8, lowercaseValue.utf8).allSatisfy { byte, lower in
            (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) == lower
        }
    }

    /// `Content-Type: application/json`, made once.
    static let json = HTTPField(name: .contentType, value: "application/json")

    /// `Content-Type: text/plain; charset=utf-8`, made once.
    static let plainText = HTTPField(name: .contentType, value: "text/plain; charset=utf-8")

    /// Fields holding only ``plainText``, shared by every `.text` response: a response no one
    /// adds a field to allocates no field list (one that gets a field copies it then).
    static let plainTextOnly = only(plainText)

    /// Fields holding only ``json``, shared as ``plainTextOnly`` is.
    static let jsonOnly = only(json)

    /// Fields holding only `Content-Type: application/octet-stream`, shared as ``plainTextOnly`` is.
    static let octetStreamOnly = only(HTTPField(name: .contentType, value: "application/octet-stream"))

    private static func only(_ field: HTTPField) -> HTTPFields {
        var fields = HTTPFields()
        fields.append(field)
        return fields
    }

    /// Sets `name` to `value` alone: appends when no such field is there (no rebuilding of the
    /// field list), else replaces every field of that name as the subscript does.
    mutating func setSingle(_ name: HTTPField.Name, _ value: String) {
        // A plain scan: `contains(_:)` walks a lazy filtered view of the fields.
        if firstValue(name) != nil {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}
