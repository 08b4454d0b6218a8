import CSchedulerEngine

/// What a server's loops have done on their backend, summed over the loops: io_uring
/// completions by kind (all zero on epoll) and epoll events handled (zero on io_uring). Tests read
/// it to check that an io_uring run really went through the ring (and refilled an empty buffer
/// ring), not through plain system calls.
package struct EngineCounters: Sendable, Equatable {
    /// Accept completions that carried a connection.
    package var ringAccepts: UInt64 = 0
    /// Receive completions that carried bytes from the buffer ring.
    package var ringReceives: UInt64 = 0
    /// Send completions.
    package var ringSends: UInt64 = 0
    /// Receive completions that found the buffer ring empty (the loop refilled it and re-armed).
    package var ringBufferShortages: UInt64 = 0
    /// epoll events handled.
    package var epollEvents: UInt64 = 0

    /// The sum over `loops`.
    init(_ loops: [EngineLoop]) {
        for loop in loops {
            var counters = cse_counters()
            cse_loop_counters(loop.handle, &counters)
            ringAccepts += counters.ring_accepts
            ringReceives += counters.ring_receives
            ringSends += counters.ring_sends
            ringBufferShortages += counters.ring_enobufs
            epollEvents += counters.epoll_events
        }
    }
}

extension TCPServer {
    /// What this server's loops have done on their backend so far.
    package var counters: EngineCounters { EngineCounters(loops) }
}
