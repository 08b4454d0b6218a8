import HTTPTypes

extension HTTPFields {
    /// The value of the first field named `name`, found by a scan: unlike the subscript, it does
    /// not join repeated fields, so it costs no allocation for the per-request fields middleware
    /// reads (`X-Request-ID`).
    func firstValue(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// Sets `name` to `value` alone: appends when no such field is there (no rebuilding of the
    /// field list), else replaces every field of that name as the subscript does.
    /// Fields holding only `Content-Type: type`, with room for a few more (a request id, `Vary`,
    /// `Content-Encoding`) so middleware adds them without growing the storage again.
    static func contentType(_ type: String) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(4)
        fields.append(HTTPField(name: .contentType, value: type))
        return fields
    }

    mutating func setSingle(_ name: HTTPField.Name, _ value: String) {
        if contains(name) {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}
