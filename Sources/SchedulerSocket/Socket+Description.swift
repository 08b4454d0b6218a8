@_spi(SchedulerInternals) import SchedulerPool

extension Socket: CustomStringConvertible {
    /// `"TCP IPv4 socket 5, connected, 127.0.0.1:40000 -> 127.0.0.1:8080"`, for logs.
    public var description: String {
        let (state, descriptor, local, remote) = core.withLock { ($0.state, $0.descriptor, $0.local, $0.remote) }
        var text = "\(self.protocol) \(family) socket"
        if descriptor >= 0 { text += " \(descriptor)" }
        text += ", \(state)"
        if let local { text += ", \(local)" }
        if let remote { text += " -> \(remote)" }
        return text
    }
}
