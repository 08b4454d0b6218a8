import Foundation
import HTTPTypes

extension HTTPFields {
    /// `Vary: Accept-Encoding`, made once.
    static let varyAcceptEncoding = HTTPField(name: .vary, value: "Accept-Encoding")

    /// Adds `name` to the `Vary` field unless it (or `*`) is already listed.
    mutating func addVary(_ name: String) {
        // The usual case, no Vary yet: one field appended, nothing split or joined.
        guard contains(.vary) else {
            append(name == "Accept-Encoding" ? HTTPFields.varyAcceptEncoding : HTTPField(name: .vary, value: name))
            return
        }
        let current = self[.vary] ?? ""
        let listed = current.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if listed.contains(name.lowercased()) || listed.contains("*") { return }
        self[.vary] = current.isEmpty ? name : current + ", " + name
    }
}
