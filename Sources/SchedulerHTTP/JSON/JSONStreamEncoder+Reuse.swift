import Synchronization

/// One idle writer kept for the next encode, so that a request's JSON costs no writer, frame or
/// scratch allocations: whoever takes it owns it until it gives it back; a second encode running
/// meanwhile (another thread) makes its own.
private let idleWriter = Atomic<UInt>(0)  // the writer's address, 0 for none

extension JSONStreamEncoder {
    /// The idle writer, emptied, or a new one.
    static func take() -> JSONStreamEncoder {
        guard let raw = UnsafeMutableRawPointer(bitPattern: idleWriter.exchange(0, ordering: .acquiring)) else {
            return JSONStreamEncoder()
        }
        return Unmanaged<JSONStreamEncoder>.fromOpaque(raw).takeRetainedValue()
    }

    /// Empties the writer and keeps it for the next encode, unless its buffers grew large (a big
    /// document's capacity is not held on to) or another writer is already kept.
    func giveBack() {
        guard bytes.capacity <= 64 << 10, frames.capacity <= 256, marks.capacity <= 4096 else { return }
        bytes.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
        marks.removeAll(keepingCapacity: true)
        path.removeAll(keepingCapacity: true)
        scratchBytes.removeAll(keepingCapacity: true)
        scratchOrder.removeAll(keepingCapacity: true)
        handOver = false
        let raw = Unmanaged.passRetained(self).toOpaque()
        if !idleWriter.compareExchange(expected: 0, desired: UInt(bitPattern: raw), ordering: .releasing).exchanged {
            Unmanaged<JSONStreamEncoder>.fromOpaque(raw).release()
        }
    }
}
