/// How far a connection has come from accept to close, as one value instead of flags.
///
/// Reading and closing are tracked together because a receive needs both: bytes may have ended
/// (or failed) before the user asked to close, and a receive after that still reports the end.
/// The transitions are one exhaustive `switch (state, event)`, so a new state or event does not
/// compile until every pairing is decided.
enum ConnectionLifecycle: Equatable {
    /// Open: bytes may be sent; `ReadSide` says whether more may arrive.
    case open(ReadSide)
    /// The user asked to close: the loop sends what is queued, then closes. Nothing more may be
    /// sent, and (outside a handler) nothing more is received.
    case closing(ReadSide)
    /// The loop closed the descriptor; nothing more happens.
    case closed

    /// The receiving half of an open or closing connection.
    enum ReadSide: Equatable {
        /// More bytes may arrive.
        case open
        /// The peer ended its stream (the receive returned 0).
        case ended
        /// The receive failed with this errno.
        case failed(Int32)
    }

    /// What can happen to a connection.
    enum Event {
        /// The loop reported end of stream.
        case peerEnded
        /// The loop reported a failed receive.
        case receiveFailed(Int32)
        /// `close` or `closeNow` was called (or the last reference went away).
        case closeRequested
        /// The loop closed the descriptor.
        case closedByLoop
    }

    /// The state after `event`. The first end of the read side wins; closing twice is closing.
    static func next(_ state: ConnectionLifecycle, _ event: Event) -> ConnectionLifecycle {
        switch (state, event) {
        // The read side ends once.
        case (.open(.open), .peerEnded): return .open(.ended)
        case (.open(.open), .receiveFailed(let code)): return .open(.failed(code))
        case (.closing(.open), .peerEnded): return .closing(.ended)
        case (.closing(.open), .receiveFailed(let code)): return .closing(.failed(code))
        case (.open(.ended), .peerEnded), (.open(.ended), .receiveFailed),
            (.open(.failed), .peerEnded), (.open(.failed), .receiveFailed),
            (.closing(.ended), .peerEnded), (.closing(.ended), .receiveFailed),
            (.closing(.failed), .peerEnded), (.closing(.failed), .receiveFailed):
            return state

        // Closing keeps what the read side knew; asking again changes nothing.
        case (.open(let read), .closeRequested): return .closing(read)
        case (.closing, .closeRequested): return state

        // The loop closes open connections too (peer reset, shutdown, grace period over).
        case (.open, .closedByLoop), (.closing, .closedByLoop): return .closed

        // Closed is final.
        case (.closed, .peerEnded), (.closed, .receiveFailed), (.closed, .closeRequested),
            (.closed, .closedByLoop):
            return .closed
        }
    }

    /// Applies `event`.
    mutating func handle(_ event: Event) {
        self = Self.next(self, event)
    }

    /// Whether `send` may still queue bytes.
    var acceptsSends: Bool {
        switch self {
        case .open: return true
        case .closing, .closed: return false
        }
    }

    /// Whether close was asked for or has happened (received bytes are then dropped).
    var isClosingOrClosed: Bool {
        switch self {
        case .open: return false
        case .closing, .closed: return true
        }
    }

    /// Whether the loop has closed the descriptor.
    var isClosed: Bool {
        switch self {
        case .closed: return true
        case .open, .closing: return false
        }
    }
}
