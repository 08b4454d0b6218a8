import Synchronization

/// Serving with no task: a connection whose responder answers synchronously waits for its next
/// request with no task at all, and its requests are answered on the loop thread, in the
/// callback that says their bytes arrived. Whatever needs an async call (a body to read, an
/// async responder, a streamed response, a full send queue, the end) starts a task that goes on
/// from there. An idle connection's task is given up the same way (parked by the sweeper).
extension ServerConnection {
    /// The sweeper's hook: counts the connection as parked if it waits with no task already,
    /// else parks its task if that waits for a request's first byte.
    func park() -> Bool {
        if taskless.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged {
            return true
        }
        guard taskless.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        let driver = DriverRef(driver: self)
        if connection.park(onReadable: { driver.driver.parkArrival() }) { return true }
        // Not in the parkable wait (or waiting with no task already: that set 1, which stays).
        _ = taskless.compareExchange(expected: 2, desired: 0, ordering: .acquiringAndReleasing)
        return false
    }

    /// One of the two events a wait with no task waits for (see `parkArrivals`): the task's end
    /// and the callback for the next bytes, in either order; the second serves on.
    func parkArrival() {
        guard parkArrivals.add(1, ordering: .acquiringAndReleasing).newValue == 2 else { return }
        parkArrivals.store(0, ordering: .relaxed)
        if taskless.exchange(0, ordering: .acquiringAndReleasing) == 2 { registry.unparked() }
        if servesInline {
            serveInline()
        } else {
            resumeInTask(.start)
        }
    }

    /// Waits for the next bytes with no task: the callback serves them (`parkArrival`), once
    /// `arrivals` plus the callback make two. False, changing nothing, when bytes or the end
    /// are already there.
    func waitTaskless(arrivals: Int) -> Bool {
        parkArrivals.store(arrivals, ordering: .relaxed)
        taskless.store(1, ordering: .releasing)
        let callback: @Sendable () -> Void
        if let made = readableCallback {
            callback = made
        } else {
            let driver = DriverRef(driver: self)
            callback = { driver.driver.parkArrival() }
            readableCallback = callback
        }
        if connection.whenReadable(callback) { return true }
        if !taskless.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged {
            // The sweeper counted the wait as parked meanwhile.
            taskless.store(0, ordering: .relaxed)
            registry.unparked()
        }
        parkArrivals.store(0, ordering: .relaxed)
        return false
    }

    /// Answers the requests whose bytes are here, on the loop thread, while each is answered
    /// synchronously; sends the answers and waits with no task again, or starts a task for what
    /// needs one.
    func serveInline() {
        while true {
            let head: InboundHead?
            do throws(InboundFailure) { head = try reader.headIfBuffered() } catch {
                if case .reject(let status, let reason) = error {
                    resumeInTask(.finish(.reject(status, reason, .http1_1, .get)))
                } else {
                    resumeInTask(.close)
                }
                return
            }
            if let head {
                switch answerNow(head) {
                case .keepAlive:
                    if requestDone() { continue }
                    resumeInTask(.close)
                case .close: resumeInTask(.close)
                case .rest(let rest): resumeInTask(.finish(rest))
                }
                return
            }
            if reader.receiveNow() { continue }
            let mustWait = flushNow()
            if sendFailed {
                resumeInTask(.close)
            } else if mustWait {
                resumeInTask(.sendRoom)
            } else if !waitTaskless(arrivals: 1) {
                // The end, a failure, or bytes that came just now: a task reads them.
                resumeInTask(.serve)
            }
            return
        }
    }

    /// Starts a task that serves the connection on from `resume`.
    func resumeInTask(_ resume: Resume) {
        let handoff = Handoff(driver: self, resume: resume)
        Task(executorPreference: connection.executor) { await handoff.driver.serve(handoff.resume) }
    }
}

/// A driver and where its new task begins, handed to that task.
private struct Handoff: @unchecked Sendable {
    // @unchecked: the loop thread hands both over and touches neither again (see `parkArrivals`).
    let driver: ServerConnection
    let resume: Resume
}
