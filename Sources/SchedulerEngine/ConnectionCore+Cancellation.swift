@_spi(SchedulerInternals) import SchedulerPool

/// Cancellation of a waiting receive: per receive, or once for a whole `serve` handler.
extension ConnectionCore {
    /// Ends a waiting receive with `CancellationError` (with `coveredOnly`, only one made by the
    /// covered task).
    func cancelReceiveWaiter(coveredOnly: Bool) {
        let waiter = state.withLock { state -> ReceiveWaiter? in
            guard let waiter = state.receiveWaiter, !coveredOnly || waiter.covered else { return nil }
            state.receiveWaiter = nil
            return waiter
        }
        waiter?.resume(throwing: CancellationError())
    }

    /// Runs `body` (a handler of this connection) with its cancellation watched once for all
    /// the receives it makes from this same task.
    func runCovered(_ body: () async -> Void) async {
        coveredTask.setCurrent()
        await withTaskCancellationHandler {
            await body()
        } onCancel: {
            cancelReceiveWaiter(coveredOnly: true)
        }
        coveredTask.clear()
    }

    /// Whether the calling task is the covered one.
    @usableFromInline
    func isCoveredTask() -> Bool {
        coveredTask.isCurrent()
    }
}
