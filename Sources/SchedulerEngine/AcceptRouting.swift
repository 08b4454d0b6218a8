import Synchronization

/// Where each loop puts the connections it accepts: into the server's `connections` stream, or,
/// once `TCPServer.serve(_:)` has begun, into a stream of that loop's own, taken by a task on
/// that loop's thread. A busy loop then holds back only its own connections, and serving needs
/// no thread of the global pool.
final class AcceptRouting: Sendable {
    private let merged: AsyncStream<TCPConnection>.Continuation
    private let perLoop: [AsyncStream<TCPConnection>.Continuation]
    /// Each loop's own stream, for `serve(_:)`.
    let loopStreams: [AsyncStream<TCPConnection>]
    private let serving = Atomic<Bool>(false)

    init(loopCount: Int, merged: AsyncStream<TCPConnection>.Continuation) {
        self.merged = merged
        let streams = (0..<loopCount).map { _ in AsyncStream.makeStream(of: TCPConnection.self) }
        loopStreams = streams.map(\.stream)
        perLoop = streams.map(\.continuation)
    }

    /// From now on, each loop's connections go to its own stream.
    func beginServing() { serving.store(true, ordering: .releasing) }

    /// Called on loop `index`'s thread for each connection it accepts.
    func deliver(_ connection: TCPConnection, loop index: Int) {
        if serving.load(ordering: .acquiring) {
            perLoop[index].yield(connection)
        } else {
            merged.yield(connection)
        }
    }

    /// Loop `index` has stopped: its own stream ends.
    func loopStopped(_ index: Int) { perLoop[index].finish() }
}
