import SchedulerPool

/// An address a shared pool handed to one owner, as the database holds it.
public struct SharedIPBinding: Sendable, Hashable, CustomStringConvertible {
    /// The allocated address.
    public let ip: IPAddress
    /// The tenant instance that owns the address.
    public let subinstance: String
    /// The resource within the subinstance that owns the address.
    public let resource: String
    /// What kind of resource it is.
    public let type: ResourceType
    /// The pool's name.
    public let pool: String
    /// The host (pool object) that wrote the allocation.
    public let host: String
    /// The allocation's row number: a later allocation of the same address gets a larger one.
    public let generation: UInt64

    /// `"10.0.0.1 -> tenant/resource vm(web) in pool \"name\""`.
    public var description: String {
        ip.description + " -> " + subinstance + "/" + resource + " " + type.description + " in pool \"" + pool + "\""
    }

    /// The binding of a row `address, subinstance, resource, kind, label, host, id`; nil if malformed.
    init?(row: [String?], pool: String) {
        guard row.count >= 7, let text = row[0], let ip = IPAddress(Self.stripPrefix(text)),
            let subinstance = row[1], let resource = row[2], let host = row[5], let id = row[6].flatMap({ UInt64($0) })
        else { return nil }
        self.ip = ip
        self.subinstance = subinstance
        self.resource = resource
        self.type = Self.type(kind: row[3] ?? "custom", label: row[4] ?? "")
        self.pool = pool
        self.host = host
        self.generation = id
    }

    /// The columns that select a binding's row, in `init(row:pool:)` order.
    static let columns = "host(address), subinstance, resource, kind, label, host, id"

    /// `"10.0.0.1/32"` → `"10.0.0.1"` (inet text of a host address has no prefix, a cidr's does).
    static func stripPrefix(_ text: String) -> String {
        if let slash = text.firstIndex(of: "/") { return String(text[..<slash]) }
        return text
    }

    /// The (kind, label) columns of a type.
    static func columns(of type: ResourceType) -> (String, String) {
        switch type {
        case .vm(let label): return ("vm", label)
        case .container(let label): return ("container", label)
        case .custom(let label): return ("custom", label)
        }
    }

    /// The type stored as (kind, label).
    static func type(kind: String, label: String) -> ResourceType {
        switch kind {
        case "vm": return .vm(label)
        case "container": return .container(label)
        default: return .custom(label)
        }
    }
}
