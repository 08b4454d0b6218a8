import SchedulerEngine

/// Appends a received chunk to a connection's inbox (`inbox[start...]` is what is not consumed
/// yet), first dropping consumed bytes: all of them when everything was consumed, else once
/// more than 64 KiB are dead, so the inbox neither grows without bound nor moves on every chunk.
/// Shared by the HTTP server's reader and the WebSocket reader.
func appendCompacting(_ buffer: borrowing TCPBuffer, to inbox: inout [UInt8], start: inout Int) {
    buffer.withUnsafeBytes { appendCompacting($0, to: &inbox, start: &start) }
}

/// The same for bytes already in memory.
func appendCompacting(_ bytes: UnsafeRawBufferPointer, to inbox: inout [UInt8], start: inout Int) {
    if start == inbox.count {
        inbox.removeAll(keepingCapacity: true)
        start = 0
    } else if start > 65536 {
        inbox.removeSubrange(0..<start)
        start = 0
    }
    inbox.append(contentsOf: bytes)
}
