/// The socket state machine: one switch over (protocol, state, operation), every case written
/// out so that adding a state or an operation is a compile error until it is decided.
enum SocketTransitions {
    /// The state a successful `operation` leads to, or nil when `state` does not allow it.
    static func next(
        _ proto: SocketProtocol, _ state: SocketState, _ operation: SocketOperation
    ) -> SocketState? {
        switch (proto, state, operation) {
        // Creation never goes through the machine: a socket exists before any event.
        case (_, _, .create), (_, _, .adopt):
            return nil

        // Closed: nothing is allowed, closing again included.
        case (_, .closed, .bind), (_, .closed, .listen), (_, .closed, .accept),
            (_, .closed, .connect), (_, .closed, .send), (_, .closed, .recv),
            (_, .closed, .sendTo), (_, .closed, .recvFrom), (_, .closed, .close),
            (_, .closed, .setOption), (_, .closed, .borrowDescriptor),
            (_, .closed, .releaseDescriptor):
            return nil

        // Every open socket can be closed, configured, borrowed or given up.
        case (_, .created, .close), (_, .bound, .close), (_, .listening, .close),
            (_, .connected, .close),
            (_, .created, .releaseDescriptor), (_, .bound, .releaseDescriptor),
            (_, .listening, .releaseDescriptor), (_, .connected, .releaseDescriptor):
            return .closed
        case (_, .created, .setOption), (_, .created, .borrowDescriptor):
            return .created
        case (_, .bound, .setOption), (_, .bound, .borrowDescriptor):
            return .bound
        case (_, .listening, .setOption), (_, .listening, .borrowDescriptor):
            return .listening
        case (_, .connected, .setOption), (_, .connected, .borrowDescriptor):
            return .connected

        // TCP, created: bind (server, or client choosing its source) or connect.
        case (.tcp, .created, .bind): return .bound
        case (.tcp, .created, .connect): return .connected
        case (.tcp, .created, .listen), (.tcp, .created, .accept), (.tcp, .created, .send),
            (.tcp, .created, .recv), (.tcp, .created, .sendTo), (.tcp, .created, .recvFrom):
            return nil

        // TCP, bound: listen (server) or connect (client with a chosen source address).
        case (.tcp, .bound, .listen): return .listening
        case (.tcp, .bound, .connect): return .connected
        case (.tcp, .bound, .bind), (.tcp, .bound, .accept), (.tcp, .bound, .send),
            (.tcp, .bound, .recv), (.tcp, .bound, .sendTo), (.tcp, .bound, .recvFrom):
            return nil

        // TCP, listening: only accept.
        case (.tcp, .listening, .accept): return .listening
        case (.tcp, .listening, .bind), (.tcp, .listening, .listen),
            (.tcp, .listening, .connect), (.tcp, .listening, .send), (.tcp, .listening, .recv),
            (.tcp, .listening, .sendTo), (.tcp, .listening, .recvFrom):
            return nil

        // TCP, connected: the byte stream.
        case (.tcp, .connected, .send), (.tcp, .connected, .recv): return .connected
        case (.tcp, .connected, .bind), (.tcp, .connected, .listen),
            (.tcp, .connected, .accept), (.tcp, .connected, .connect),
            (.tcp, .connected, .sendTo), (.tcp, .connected, .recvFrom):
            return nil

        // UDP, created: bind, connect, or send to an address (the kernel then binds a port).
        case (.udp, .created, .bind), (.udp, .created, .sendTo): return .bound
        case (.udp, .created, .connect): return .connected
        case (.udp, .created, .listen), (.udp, .created, .accept), (.udp, .created, .send),
            (.udp, .created, .recv), (.udp, .created, .recvFrom):
            return nil

        // UDP, bound: datagrams to and from anyone; connect fixes the peer.
        case (.udp, .bound, .sendTo), (.udp, .bound, .recvFrom), (.udp, .bound, .recv):
            return .bound
        case (.udp, .bound, .connect): return .connected
        case (.udp, .bound, .bind), (.udp, .bound, .listen), (.udp, .bound, .accept),
            (.udp, .bound, .send):
            return nil

        // UDP never listens; the state is unreachable and allows nothing.
        case (.udp, .listening, .bind), (.udp, .listening, .listen),
            (.udp, .listening, .accept), (.udp, .listening, .connect),
            (.udp, .listening, .send), (.udp, .listening, .recv), (.udp, .listening, .sendTo),
            (.udp, .listening, .recvFrom):
            return nil

        // UDP, connected: send and receive with the fixed peer (and still to others).
        case (.udp, .connected, .send), (.udp, .connected, .recv),
            (.udp, .connected, .sendTo), (.udp, .connected, .recvFrom):
            return .connected
        case (.udp, .connected, .bind), (.udp, .connected, .listen),
            (.udp, .connected, .accept), (.udp, .connected, .connect):
            return nil
        }
    }
}
