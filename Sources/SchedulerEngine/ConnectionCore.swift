import CSchedulerEngine
@_spi(SchedulerInternals) import SchedulerPool
import Synchronization
import SystemPackage

/// The shared state of one connection, tying together its parts: the receive queue
/// (``ReceiveQueue``), the send accounting (``SendAccounting``), the lifecycle
/// (``ConnectionLifecycle``) and the tasks waiting on them. The loop thread feeds it through
/// callbacks; user tasks drain it. The C loop holds one retain on it from accept until `on_closed`.
///
/// The operations live beside it: ConnectionCore+Receive.swift, +Send, +Close, +Cancellation,
/// and ConnectionHandlerDelivery.swift for the callback handler API.
@usableFromInline
final class ConnectionCore: Sendable {
    struct State: ~Copyable {
        var receive = ReceiveQueue()
        var send = SendAccounting()
        var lifecycle = ConnectionLifecycle.open(.open)
        var receiveWaiter: ReceiveWaiter?
        var closeWaiters: [UnsafeContinuation<Void, Never>] = []

        /// What a receive finds without waiting. The one place that decides it, for `recv`,
        /// `recvBuffer`, their waiting paths, the loop's wake-up of a waiter and the handler API.
        var receiveReadiness: ReceiveReadiness {
            @inline(__always) get {
                if !receive.isEmpty { return .buffered }
                switch lifecycle {
                case .open(.ended), .closing(.ended), .closed: return .ended
                case .open(.failed(let code)), .closing(.failed(let code)): return .failed(code)
                case .closing(.open): return .closedLocally
                case .open(.open): return receiveWaiter == nil ? .empty : .busy
                }
            }
        }
    }

    /// What a receive finds without waiting, in the order it is checked: held bytes come before
    /// the end of the stream, the end before a local close, and a waiter already there before
    /// waiting.
    enum ReceiveReadiness {
        /// Bytes are held: take them.
        case buffered
        /// The peer ended its stream, or the loop closed the connection.
        case ended
        /// The receive failed with this errno.
        case failed(Errno)
        /// The user closed the connection while the peer's stream was still open.
        case closedLocally
        /// Another receive is already waiting.
        case busy
        /// Nothing yet: wait.
        case empty
    }

    let state = FutexMutex(State())
    /// `receive.bytes` as last published under the lock: a receive that finds 0 here goes
    /// straight to its waiting path (which looks again under the lock) and so takes the lock
    /// once per message instead of twice. A stale value only costs that second look.
    let receivedHint = Atomic<Int>(0)
    /// Set by ``park(onReadable:)``: the `serve` handler's task gave the connection up.
    let parked = Atomic<Bool>(false)
    /// The task whose cancellation `runCovered` watches for all its receives.
    let coveredTask = CoveredTask()
    @usableFromInline let loop: EngineLoop
    let id: UInt64
    /// The other end, formatted only when an error names it (not per connection).
    let peer: SocketAddress
    /// The callback handler of ``TCPServer/serve(handlers:)`` and whether it was told the end;
    /// touched only on the loop thread (see ConnectionHandlerDelivery.swift).
    nonisolated(unsafe) var handler: (any TCPConnectionHandler)?
    nonisolated(unsafe) var handlerEnded = false
    /// The handler's reading is paused for a send backlog; chunks still arriving wait in `receive`.
    nonisolated(unsafe) var handlerPaused = false

    init(loop: EngineLoop, id: UInt64, peer: SocketAddress) {
        self.loop = loop
        self.id = id
        self.peer = peer
    }

    deinit {
        state.withLock { state in state.receive.releaseAll(loop: loop.handle) }
    }

    /// Publishes the number of held bytes for the lock-free first look of `chunkIfReady`.
    @inline(__always)
    func publishReceived(_ state: borrowing State) {
        receivedHint.store(state.receive.bytes, ordering: .relaxed)
    }

    func error(_ operation: EngineOperation, errno: Errno) -> EngineError {
        EngineError(operation: operation, target: "connection \(peer)", errno: errno)
    }

    /// The error for a C result of `-errno`.
    func error(_ operation: EngineOperation, cResult: Int) -> EngineError {
        error(operation, errno: Errno(rawValue: Int32(-cResult)))
    }

    func error(_ operation: EngineOperation, reason: String) -> EngineError {
        EngineError(operation: operation, target: "connection \(peer)", reason: reason)
    }
}
