import Foundation
import HTTPTypes

extension HTTPFields {
    /// Adds `name` to the `Vary` field unless it (or `*`) is already listed.
    mutating func addVary(_ name: String) {
        let current = self[.vary] ?? ""
        let listed = current.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if listed.contains(name.lowercased()) || listed.contains("*") { return }
        self[.vary] = current.isEmpty ? name : current + ", " + name
    }
}
