import SchedulerEngine

/// What a `101 Switching Protocols` response carries for the server: the code that takes the
/// connection over once the response is sent.
typealias ConnectionTakeover = @Sendable (TakenConnection) async -> Void

/// A connection handed over after a 101.
struct TakenConnection: Sendable {
    /// The connection.
    let connection: TCPConnection
    /// Bytes already received after the request's head.
    let buffered: [UInt8]
    /// Registers what to do when the server shuts down (a WebSocket's close with 1001).
    let whenDraining: @Sendable (@escaping @Sendable () -> Void) -> Void
}
