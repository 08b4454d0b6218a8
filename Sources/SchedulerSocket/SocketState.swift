/// Where a socket is in its life: `created -> bound -> listening | connected`, any -> `closed`.
public enum SocketState: String, Sendable, Hashable, CustomStringConvertible {
    /// Open, neither bound nor connected.
    case created
    /// Bound to a local address (a TCP server before `listen`, a TCP client that chose its
    /// source address, or a UDP socket).
    case bound
    /// A TCP socket accepting connections.
    case listening
    /// Connected to a peer (a TCP client, an accepted TCP socket, or a connected UDP socket).
    case connected
    /// Closed or given up; nothing more can be done with it.
    case closed

    /// The state's name, as error messages print it.
    public var description: String { rawValue }
}

/// The transport protocol of a socket.
public enum SocketProtocol: String, Sendable, Hashable, CustomStringConvertible {
    /// TCP: a reliable byte stream.
    case tcp
    /// UDP: datagrams.
    case udp

    /// `"TCP"` or `"UDP"`.
    public var description: String { rawValue.uppercased() }
}
