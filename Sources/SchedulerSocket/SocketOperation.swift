/// The operations a `SocketError` can name.
public enum SocketOperation: String, Sendable, Hashable, CustomStringConvertible {
    /// Creating a socket (`socket(2)`).
    case create = "socket"
    /// Taking ownership of an existing descriptor.
    case adopt
    /// `bind(to:port:)`, `bind(_:)` or `bind(with:port:)`.
    case bind
    /// `listen(backlog:)`.
    case listen
    /// `accept()`.
    case accept
    /// `connect(to:)`.
    case connect
    /// `send(_:)` on a connected socket.
    case send
    /// `recv(maxLength:)` on a connected (or, for UDP, bound) socket.
    case recv
    /// `send(_:to:)`.
    case sendTo
    /// `recvFrom(maxLength:)`.
    case recvFrom
    /// `close()`.
    case close
    /// Setting a socket option (`setsockopt(2)`).
    case setOption
    /// Borrowing the raw descriptor with `withDescriptor(_:)`.
    case borrowDescriptor
    /// Giving the raw descriptor up with `releaseDescriptor()`.
    case releaseDescriptor

    /// The operation's name, as error messages print it.
    public var description: String { rawValue }
}
