import SchedulerEngine

/// What a `101 Switching Protocols` response carries for the server: the code that takes the
/// connection over once the response is sent, given the bytes already received after the head.
typealias ConnectionTakeover = @Sendable (TCPConnection, [UInt8]) async -> Void
