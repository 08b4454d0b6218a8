/// The kind of resource an address is bound to, with a free-form label.
public enum ResourceType: Sendable, Hashable {
    /// A virtual machine.
    case vm(String)
    /// A container.
    case container(String)
    /// Anything else, such as `.custom("socket")`.
    case custom(String)
}

extension ResourceType: CustomStringConvertible {
    /// `"vm(name)"`, `"container(name)"` or `"custom(name)"`.
    public var description: String {
        switch self {
        case .vm(let label): return "vm(" + label + ")"
        case .container(let label): return "container(" + label + ")"
        case .custom(let label): return "custom(" + label + ")"
        }
    }
}
