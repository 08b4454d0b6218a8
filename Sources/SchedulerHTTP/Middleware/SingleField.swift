import HTTPTypes

extension HTTPFields {
    /// The value of the first field named `name`, found by a scan: unlike the subscript, it does
    /// not join repeated fields, so it costs no allocation for the per-request fields middleware
    /// reads (`X-Request-ID`).
    func firstValue(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// Fields holding only `Content-Type: type`, with room for a few more (a request id, `Vary`,
    /// `Content-Encoding`) so middleware adds them without growing the storage again.
    static func contentType(_ type: String) -> HTTPFields {
        contentType(HTTPField(name: .contentType, value: type))
    }

    /// The same for a field already made (checked once, not per response).
    static func contentType(_ field: HTTPField) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(4)
        fields.append(field)
        return fields
    }

    /// `Content-Type: application/json`, made once.
    static let json = HTTPField(name: .contentType, value: "application/json")

    /// `Content-Type: text/plain; charset=utf-8`, made once.
    static let plainText = HTTPField(name: .contentType, value: "text/plain; charset=utf-8")

    /// Fields holding only ``plainText``, shared by every `.text` response: a response no one
    /// adds a field to allocates no field list (one that gets a field copies it then).
    static let plainTextOnly: HTTPFields = {
        var fields = HTTPFields()
        fields.append(plainText)
        return fields
    }()

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
