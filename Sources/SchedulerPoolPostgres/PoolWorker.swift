import Foundation
import SchedulerPool

/// One allocation waiting for the worker.
struct AllocationRequest: Sendable {
    let subinstance: String
    let resource: String
    let type: ResourceType
    let deadline: ContinuousClock.Instant
    let reply: @Sendable (Result<SharedIPBinding, SharedPoolError>) -> Void
}

/// Any other operation waiting for the worker.
struct WorkerJob: Sendable {
    let deadline: ContinuousClock.Instant
    let run: @Sendable (PoolWorker) -> Void
    let fail: @Sendable (SharedPoolError) -> Void
}

/// The thread that owns a pool object's connection and block bitmaps. Callers queue requests;
/// the thread takes every allocation queued at that moment into one transaction (group commit),
/// runs the other operations one by one, and renews its block leases.
final class PoolWorker: @unchecked Sendable {
    let pool: String
    let options: SharedPoolOptions
    let connection: PGConnection
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var allocations: [AllocationRequest] = []
    private var jobs: [WorkerJob] = []
    private var stopping = false
    private var stopped = false
    private var counterValues = (allocations: 0, transactions: 0, claims: 0, borrowed: 0, connections: 0)
    // Owned by the worker thread.
    var blocks: [OwnedBlock] = []
    var ranges: [IPNetwork] = []
    var blockPrefixV4 = 26
    var blockPrefixV6 = 122
    var quarantineMilliseconds: Int64 = 0
    /// Whether the blocks this host name owned before this object opened were loaded.
    var loadedOwnBlocks = false
    private var nextRenewal = ContinuousClock.now

    init(pool: String, target: DatabaseTarget, options: SharedPoolOptions) {
        self.pool = pool
        self.options = options
        connection = PGConnection(target: target)
    }

    var database: String { connection.target.description }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "ippool-" + pool
        thread.start()
    }

    func enqueue(_ request: AllocationRequest) {
        condition.lock()
        if stopping {
            condition.unlock()
            request.reply(.failure(.shutDown))
            return
        }
        allocations.append(request)
        condition.signal()
        condition.unlock()
    }

    func enqueue(_ job: WorkerJob) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.fail(.shutDown)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread after the requests already queued; returns once it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    var counters: SharedPoolCounters {
        condition.lock()
        defer { condition.unlock() }
        return SharedPoolCounters(
            allocations: counterValues.allocations, allocationTransactions: counterValues.transactions,
            blockClaims: counterValues.claims, borrowed: counterValues.borrowed,
            connections: connection.connectionsOpened.load(ordering: .relaxed))
    }

    private func loop() {
        while true {
            condition.lock()
            while allocations.isEmpty && jobs.isEmpty && !stopping {
                let wait = ContinuousClock.now.duration(to: nextRenewal)
                if wait <= .zero { break }
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
                _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
            }
            if stopping && allocations.isEmpty && jobs.isEmpty {
                stopped = true
                condition.broadcast()
                condition.unlock()
                connection.close()
                return
            }
            let batch = Array(allocations.prefix(options.maxBatch))
            allocations.removeFirst(batch.count)
            let work = jobs
            jobs = []
            condition.unlock()

            for job in work {
                if ContinuousClock.now >= job.deadline {
                    job.fail(timedOut("queued operation"))
                } else {
                    job.run(self)
                }
            }
            if !batch.isEmpty { allocate(batch) }
            if ContinuousClock.now >= nextRenewal { renewLeases() }
        }
    }

    /// Updates the counters (before the replies they explain, so a caller sees them).
    func count(
        _ change: (inout (allocations: Int, transactions: Int, claims: Int, borrowed: Int, connections: Int)) -> Void
    ) {
        condition.lock()
        change(&counterValues)
        condition.unlock()
    }

    func timedOut(_ operation: String) -> SharedPoolError {
        .timedOut(operation: operation, database: database, milliseconds: Self.milliseconds(options.timeout))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Runs a statement; a timeout reports the configured limit.
    func query(_ sql: String, _ parameters: [String?], _ operation: String, _ deadline: ContinuousClock.Instant)
        throws(SharedPoolError) -> [[String?]]
    {
        do {
            return try connection.query(sql, parameters, operation: operation, deadline: deadline)
        } catch .timedOut {
            throw timedOut(operation)
        }
    }

    /// `body` between BEGIN and COMMIT (ROLLBACK when it throws).
    func transaction<T>(
        _ operation: String, _ deadline: ContinuousClock.Instant, _ body: () throws(SharedPoolError) -> T
    )
        throws(SharedPoolError) -> T
    {
        do {
            try connection.script("BEGIN", operation: operation, deadline: deadline)
        } catch .timedOut {
            throw timedOut(operation)
        }
        do {
            let value = try body()
            _ = try query("COMMIT", [], operation, deadline)
            return value
        } catch {
            if connection.isOpen { try? connection.script("ROLLBACK", operation: operation, deadline: deadline) }
            throw error
        }
    }

    /// Runs `body`, once more after a reconnect when the connection was found broken or could not
    /// be opened and `idempotent` says a repeat cannot apply anything twice.
    func retrying<T>(idempotent: Bool, _ body: () throws(SharedPoolError) -> T) throws(SharedPoolError) -> T {
        do {
            return try body()
        } catch .timedOut(let operation, _, _) {
            throw timedOut(operation)
        } catch .unreachable(let database, let reason) {
            throw .unreachable(database: database, reason: reason)
        } catch .connectionLost(let operation, let database, let reason) {
            guard idempotent else { throw .connectionLost(operation: operation, database: database, reason: reason) }
            return try body()
        }
    }

    /// Extends the lease of this host's blocks and forgets those another host took over.
    func renewLeases() {
        nextRenewal = ContinuousClock.now + options.lease / 3
        guard !blocks.isEmpty else { return }
        let deadline = ContinuousClock.now + options.timeout
        guard
            let rows = try? query(
                "UPDATE ippool_blocks SET lease_until = now() + $3::interval WHERE pool = $1 AND host = $2 RETURNING cidr::text",
                [pool, options.host, SQLText.interval(options.lease)], "renew leases", deadline)
        else { return }
        let kept = Set(rows.compactMap { IPNetwork.parse($0[0]) })
        blocks.removeAll { !kept.contains($0.network) }
    }
}
