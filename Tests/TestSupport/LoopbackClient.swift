import Glibc

/// Connects a blocking TCP socket to `host` (an IPv4 address in host byte order, 127.0.0.1 by
/// default) and `port` with the C library alone (no code under test in the way); returns the
/// descriptor, which the caller closes, or -errno on failure.
public func connectLoopback(port: UInt16, host: UInt32 = 0x7f00_0001) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if fd < 0 { return -errno }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = host.bigEndian
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if rc < 0 {
        let error = errno
        close(fd)
        return -error
    }
    return fd
}

/// Seconds on the monotonic clock, for deadlines in blocking helper loops.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
