import Glibc

// What this process holds open, read from /proc/self/fd, for the tests that check nothing leaks.
// Two counts with different meanings exist on purpose; their names say which is which.

/// What each open descriptor of this process refers to (`socket:[123]`, `anon_inode:[eventfd]`).
public func openDescriptors() -> [Int32: String] {
    var result: [Int32: String] = [:]
    guard let directory = opendir("/proc/self/fd") else { return result }
    let own = dirfd(directory)
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        // The listing's own descriptor is not the process's.
        guard let fd = Int32(name), fd != own else { continue }
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        result[fd] =
            length > 0
            ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }
    return result
}

/// The number of descriptors this process has open, every kind counted.
public func openDescriptorCount() -> Int {
    openDescriptors().count
}

/// The number of open descriptors that are not a thread's own io_uring
/// (`anon_inode:[io_uring]`) nor one of Dispatch's timers (`anon_inode:[timerfd]`): the blocking
/// `Socket` keeps one ring per thread for the thread's lifetime, and that ring closes only after
/// the thread has signalled its result, so a count taken across threads must leave them out;
/// Dispatch opens a timer descriptor while some task sleeps (see `descriptorsLeaked`).
public func openDescriptorCountExcludingRings() -> Int {
    openDescriptors().values.filter { $0 != "anon_inode:[io_uring]" && $0 != "anon_inode:[timerfd]" }.count
}

/// The number of socket descriptors this process has open (`socket:[inode]`).
public func openSocketCount() -> Int {
    openDescriptors().values.filter { $0.hasPrefix("socket:") }.count
}

/// The number of this process's open sockets whose local TCP port is `port`: a server's
/// listener and the connections it accepted (its clients' sockets have `port` as their remote
/// port). Read from /proc/net/tcp and tcp6, matched to /proc/self/fd by inode, so other tests'
/// sockets running at the same time do not count, unlike ``openSocketCount()``.
public func openSocketCount(localPort port: UInt16) -> Int {
    let inodes = Set(openDescriptors().values.compactMap { target -> Substring? in
        target.hasPrefix("socket:[") ? target.dropFirst(8).dropLast() : nil
    })
    var count = 0
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in readTextFile(table).split(separator: "\n").dropFirst() {
            // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
            let columns = line.split(separator: " ")
            guard columns.count > 9, let colon = columns[1].lastIndex(of: ":"),
                UInt16(columns[1][columns[1].index(after: colon)...], radix: 16) == port
            else { continue }
            if inodes.contains(columns[9]) { count += 1 }
        }
    }
    return count
}

/// The whole of a small text file (a /proc table), or "" when it cannot be read.
private func readTextFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Waits up to `seconds` for this process to hold at most `limit` sockets and returns the count
/// it last saw: a count taken across the process must allow for sockets that earlier tests'
/// loops or threads are still closing, so a test compares this with `<=` rather than reading
/// once with `==`.
public func openSocketCountSettling(atMost limit: Int, within seconds: Double = 2) -> Int {
    let deadline = monotonicSeconds() + seconds
    var count = openSocketCount()
    while count > limit && monotonicSeconds() < deadline {
        usleep(10_000)
        count = openSocketCount()
    }
    return count
}

/// Whether `descriptor` is an open descriptor of this process.
public func isOpen(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFD) >= 0 }

/// Waits up to `seconds` for `openDescriptorCountExcludingRings()` to be at most `limit` and
/// returns the count it last saw: another test's thread (a server still shutting down, a child
/// process's pipe) may hold a descriptor for a moment, while a leak stays.
public func openDescriptorCountExcludingRingsSettling(atMost limit: Int, within seconds: Double = 2) -> Int {
    let deadline = monotonicSeconds() + seconds
    var count = openDescriptorCountExcludingRings()
    while count > limit && monotonicSeconds() < deadline {
        usleep(10_000)
        count = openDescriptorCountExcludingRings()
    }
    return count
}

/// Waits up to 2 s for this process to hold no more descriptors than it held in `before`;
/// returns what it holds beyond those if it still holds more (a leak), else nil. Other threads
/// of the test runner may open and close descriptors of their own meanwhile, hence "no more
/// than" and the short wait rather than one exact reading.
///
/// Dispatch's timer descriptors (`anon_inode:[timerfd]`, one per clock) are left out on both
/// sides: Dispatch opens one while a timer such as `Task.sleep` is armed and may close it again,
/// so whether it shows depends on the moment (this wait itself sleeps). Nothing under test opens
/// a timerfd.
public func descriptorsLeaked(since before: [Int32: String]) async -> [String]? {
    func counted(_ descriptors: [Int32: String]) -> [Int32: String] {
        descriptors.filter { $0.value != "anon_inode:[timerfd]" }
    }
    let before = counted(before)
    for _ in 0..<100 {
        if counted(openDescriptors()).count <= before.count { return nil }
        try? await Task.sleep(for: .milliseconds(20))
    }
    let now = counted(openDescriptors())
    guard now.count > before.count else { return nil }
    return now.filter { before[$0.key] != $0.value }.map { "\($0.key) -> \($0.value)" }.sorted()
}

/// Raises the soft RLIMIT_NOFILE to at least `wanted` (capped at the hard limit).
public func raiseDescriptorLimit(to wanted: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < rlim_t(wanted) {
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
