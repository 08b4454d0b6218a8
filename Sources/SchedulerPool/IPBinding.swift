/// An address a pool handed to one owner: a (subinstance, resource) pair.
public struct IPBinding: Sendable {
    /// The allocated address.
    public let ip: IPAddress
    /// The tenant instance that owns the address.
    public let subinstance: String
    /// The resource within the subinstance that owns the address.
    public let resource: String
    /// What kind of resource it is.
    public let type: ResourceType
    /// The name of the pool that issued the binding.
    public let pool: String
    /// Which allocation of `ip` this is; a later allocation of the same address gets a new number.
    public let generation: UInt64
    /// The pool that issued the binding, asked by `isActive`.
    let issuer: IPPool

    /// True only while the issuing pool still holds exactly this allocation: false after it is
    /// released, also when the same address has since been allocated again (to anyone).
    public var isActive: Bool { issuer.holds(ip, generation: generation) }
}

extension IPBinding {
    /// The binding of `holding`, which it takes over (its owner strings are moved, not copied).
    init(_ holding: consuming Holding, pool: String, issuer: IPPool) {
        self.init(
            ip: holding.ip, subinstance: holding.subinstance, resource: holding.resource, type: holding.type,
            pool: pool, generation: holding.generation, issuer: issuer)
    }
}

extension IPBinding: Hashable {
    /// Bindings are equal when they are the same allocation by the same pool.
    public static func == (lhs: IPBinding, rhs: IPBinding) -> Bool {
        lhs.issuer === rhs.issuer && lhs.ip == rhs.ip && lhs.generation == rhs.generation
            && lhs.subinstance == rhs.subinstance && lhs.resource == rhs.resource && lhs.type == rhs.type
    }

    /// Hashes the identity of the allocation.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(issuer))
        hasher.combine(ip)
        hasher.combine(generation)
    }
}

extension IPBinding: CustomStringConvertible {
    /// `"10.0.0.1 -> tenant/resource custom(socket) in pool \"name\""`.
    public var description: String {
        ip.description + " -> " + subinstance + "/" + resource + " " + type.description + " in pool \"" + pool + "\""
    }
}
