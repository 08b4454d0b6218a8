public import SchedulerPool

/// Where a request's connection leaves from: a tenant's pool binding or a plain local address.
public enum HTTPClientSource: Sendable {
    /// The binding's IP (the kernel picks the port); refused once the pool released the binding.
    case binding(IPBinding)
    /// This local address (port 0: the kernel picks one).
    case address(SocketAddress)

    /// The local address connections are bound to.
    public var address: SocketAddress {
        switch self {
        case .binding(let binding): SocketAddress(ip: binding.ip, port: 0)
        case .address(let address): address
        }
    }

    /// Throws `bindingReleased` when a binding is no longer held by the pool.
    func check() throws(HTTPClientError) {
        if case .binding(let binding) = self, !binding.isActive {
            throw .bindingReleased("\(binding.ip) (\(binding.subinstance)/\(binding.resource))")
        }
    }
}
