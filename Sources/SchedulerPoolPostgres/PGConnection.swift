import CLibPQ
import Foundation
import Synchronization

/// One libpq connection driven without blocking, so that every call ends by its deadline:
/// connect, prepared parameterized statements (text format), simple multi-statement scripts.
/// Used by one thread at a time (the pool's worker).
final class PGConnection {
    let target: DatabaseTarget
    private var handle: OpaquePointer?
    /// The statements prepared on this connection, by SQL text.
    private var prepared: [String: String] = [:]
    /// Connections opened so far (1 plus reconnects).
    let connectionsOpened = Atomic<Int>(0)

    init(target: DatabaseTarget) { self.target = target }

    deinit { close() }

    /// Whether a connection is open and healthy as far as libpq knows.
    var isOpen: Bool { handle != nil && PQstatus(handle) == CONNECTION_OK }

    /// Drops the connection (the next `open` makes a new one).
    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:]
    }

    /// Connects unless already connected; throws `.unreachable` or `.timedOut`.
    func open(deadline: ContinuousClock.Instant) throws(SharedPoolError) {
        if isOpen && !peerHungUp() { return }
        close()
        var keys = ["dbname", "application_name", "keepalives", "keepalives_idle"]
        var values = [target.connectionString, "scheduler-core-ippool", "1", "10"]
        if let password = target.password {
            keys.append("password")
            values.append(password)
        }
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer {
            cKeys.forEach { free($0) }
            cValues.forEach { free($0) }
        }
        var keyPointers = cKeys.map { UnsafePointer<CChar>($0) } + [nil]
        var valuePointers = cValues.map { UnsafePointer<CChar>($0) } + [nil]
        guard let connection = PQconnectStartParams(&keyPointers, &valuePointers, 1) else {
            throw .unreachable(database: target.description, reason: "out of memory")
        }
        handle = connection
        if PQstatus(connection) == CONNECTION_BAD { throw failure(connecting: true) }
        var status = PGRES_POLLING_WRITING
        while status != PGRES_POLLING_OK {
            switch status {
            case PGRES_POLLING_FAILED: throw failure(connecting: true)
            case PGRES_POLLING_READING: try wait(read: true, deadline: deadline, operation: "connect")
            default: try wait(read: false, deadline: deadline, operation: "connect")
            }
            status = PQconnectPoll(connection)
        }
        PQsetnonblocking(connection, 1)
        connectionsOpened.add(1, ordering: .relaxed)
    }

    /// True when an idle connection has input waiting, which for an idle session means the server
    /// closed it (restart, administrator): found before a statement is sent, so nothing is lost.
    private func peerHungUp() -> Bool {
        let socket = PQsocket(handle)
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK { return true }
        return false
    }

    /// Runs one statement with text parameters (`nil` is SQL NULL), prepared once per connection;
    /// returns its rows as text. Throws `.server` for an SQL error, `.connectionLost` or
    /// `.timedOut` (the connection is then closed).
    func query(_ sql: String, _ parameters: [String?], operation: String, deadline: ContinuousClock.Instant)
        throws(SharedPoolError) -> [[String?]]
    {
        try open(deadline: deadline)
        guard let connection = handle else { throw .unreachable(database: target.description, reason: "no connection") }
        let name: String
        if let existing = prepared[sql] {
            name = existing
        } else {
            name = "s" + String(prepared.count)
            guard PQsendPrepare(connection, name, sql, Int32(parameters.count), nil) == 1 else {
                throw failure(operation: operation)
            }
            _ = try results(operation: operation, deadline: deadline)
            prepared[sql] = name
        }
        let cValues = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cValues.forEach { free($0) } }
        var pointers = cValues.map { UnsafePointer<CChar>($0) }
        guard PQsendQueryPrepared(connection, name, Int32(parameters.count), &pointers, nil, nil, 0) == 1 else {
            throw failure(operation: operation)
        }
        return try results(operation: operation, deadline: deadline)
    }

    /// Runs a script of statements without parameters (a schema, a transaction's BEGIN/COMMIT).
    func script(_ sql: String, operation: String, deadline: ContinuousClock.Instant) throws(SharedPoolError) {
        try open(deadline: deadline)
        guard let connection = handle, PQsendQuery(connection, sql) == 1 else { throw failure(operation: operation) }
        _ = try results(operation: operation, deadline: deadline)
    }

    /// Flushes what was sent, then collects every result of it; the rows of the last one.
    private func results(operation: String, deadline: ContinuousClock.Instant) throws(SharedPoolError) -> [[String?]] {
        guard let connection = handle else { throw .unreachable(database: target.description, reason: "no connection") }
        while true {
            let flushed = PQflush(connection)
            if flushed == 0 { break }
            if flushed < 0 { throw failure(operation: operation) }
            try wait(read: false, deadline: deadline, operation: operation)
        }
        var rows: [[String?]] = []
        var serverError: SharedPoolError? = nil
        while true {
            while PQisBusy(connection) == 1 {
                try wait(read: true, deadline: deadline, operation: operation)
                if PQconsumeInput(connection) == 0 { throw failure(operation: operation) }
            }
            guard let result = PQgetResult(connection) else { break }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK:
                let count = PQntuples(result)
                let fields = PQnfields(result)
                rows = []
                rows.reserveCapacity(Int(count))
                for row in 0..<count {
                    var values: [String?] = []
                    values.reserveCapacity(Int(fields))
                    for field in 0..<fields {
                        values.append(
                            PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
                        )
                    }
                    rows.append(values)
                }
            case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                rows = []
            default:
                if PQstatus(connection) == CONNECTION_BAD { throw failure(operation: operation) }
                let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "?????"
                let message =
                    PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                    ?? String(cString: PQresultErrorMessage(result))
                if serverError == nil {
                    serverError = .server(operation: operation, sqlState: state, message: target.scrub(message))
                }
            }
        }
        if PQstatus(connection) == CONNECTION_BAD { throw failure(operation: operation) }
        if let serverError { throw serverError }
        return rows
    }

    /// Waits until the socket is readable (or writable) or the deadline passes (then closes).
    private func wait(read: Bool, deadline: ContinuousClock.Instant, operation: String) throws(SharedPoolError) {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw failure(operation: operation) }
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds =
                remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            if remaining <= .zero {
                close()
                throw .timedOut(operation: operation, database: target.description, milliseconds: 0)
            }
            var entry = pollfd(fd: socket, events: Int16(read ? POLLIN : POLLOUT), revents: 0)
            let ready = poll(&entry, 1, Int32(clamping: max(1, milliseconds)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw failure(operation: operation) }
        }
    }

    /// The error for the connection's current failure; closes it.
    private func failure(operation: String = "connect", connecting: Bool = false) -> SharedPoolError {
        let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
        let reason = target.scrub(
            message.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n\t", with: " ")
                .replacingOccurrences(of: "\n", with: "; "))
        close()
        return connecting
            ? .unreachable(database: target.description, reason: reason)
            : .connectionLost(operation: operation, database: target.description, reason: reason)
    }
}
