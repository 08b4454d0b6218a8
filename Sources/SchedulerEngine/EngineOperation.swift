/// The operations an ``EngineError`` can name; the raw value is the name error messages print.
public enum EngineOperation: String, Sendable, Hashable, CustomStringConvertible {
    /// Checking a ``TCPServer/Configuration`` (or the C loop's copy of it).
    case configure
    /// Choosing the backend from `SCHEDULER_CORE_BACKEND`.
    case chooseBackend = "choose backend"
    /// Parsing the host given to ``TCPServer/init(host:port:configuration:)``.
    case parseAddress = "parse address"
    /// Probing for io_uring (`io_uring_setup(2)`).
    case ioUringSetup = "io_uring_setup"
    /// Creating a loop's ring.
    case ioUringQueueInit = "io_uring_queue_init"
    /// Registering a loop's receive buffer ring.
    case ioUringRegisterBufferRing = "io_uring_register_buf_ring"
    /// Creating a loop's epoll set.
    case epollCreate = "epoll_create1"
    /// Adding a descriptor to a loop's epoll set.
    case epollControl = "epoll_ctl"
    /// Creating a loop's wake-up descriptor.
    case eventfd
    /// Starting a loop's thread.
    case startThread = "pthread_create"
    /// Starting a loop, when the C side named no finer step.
    case startLoop = "start engine loop"
    /// Creating a socket.
    case socket
    /// Setting a socket option (`setsockopt(2)`).
    case setOption = "setsockopt"
    /// Binding a listener (or an outgoing connection's source address).
    case bind
    /// Listening.
    case listen
    /// Reading a socket's own address (`getsockname(2)`).
    case localAddress = "getsockname"
    /// Connecting to a peer.
    case connect
    /// Receiving on a connection.
    case recv
    /// Sending on a connection.
    case send
    /// Closing a connection.
    case close

    /// The step a C loop reported by name (`*failed` of `cse_loop_start`); a name with an
    /// argument (`"setsockopt SO_REUSEPORT"`) is taken by its first word.
    init(cName: String) {
        if let known = EngineOperation(rawValue: cName) {
            self = known
            return
        }
        let call = cName.split(separator: " ").first.map(String.init) ?? cName
        switch call {
        case "setsockopt": self = .setOption
        case "configure": self = .configure
        case "choose": self = .chooseBackend
        default: self = EngineOperation(rawValue: call) ?? .startLoop
        }
    }

    /// The operation's name, as error messages print it.
    public var description: String { rawValue }
}
