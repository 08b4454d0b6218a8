import CSchedulerAllocator
import SchedulerPool

/// Address arithmetic on 128-bit values of either family.
extension IPAddress {
    /// The address as a number (IPv4 in the low 32 bits).
    var value: UInt128 { ipv4Value.map { UInt128($0) } ?? ipv6Value ?? 0 }

    /// The address of `family` whose number is `value`.
    static func of(_ family: AddressFamily, _ value: UInt128) -> IPAddress {
        family == .ipv4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: value)) : IPAddress(ipv6: value)
    }
}

extension IPNetwork {
    /// Offsets of the range that are never handed out, as `IPPool` keeps them back: IPv4 network and
    /// broadcast below /31, the IPv6 subnet-router anycast address below /127.
    var reservedOffsets: [UInt128] {
        switch family {
        case .ipv4: return prefixLength < 31 ? [0, (UInt128(1) << UInt128(hostBits)) - 1] : []
        case .ipv6: return prefixLength < 127 ? [0] : []
        }
    }

    /// Addresses that can be handed out.
    var usable: AddressCount { count - AddressCount(UInt128(reservedOffsets.count)) }

    /// Whether `ip` is one of the range's reserved addresses.
    func isReserved(_ ip: IPAddress) -> Bool {
        contains(ip) && reservedOffsets.contains(ip.value - address.value)
    }

    /// `text` as a network ("10.0.0.0/26"), nil if it is not one.
    static func parse(_ text: String?) -> IPNetwork? { text.flatMap { IPNetwork($0) } }
}

/// One block this host allocates in: its addresses in the C bitmap, the range's reserved
/// addresses marked used from the start.
final class OwnedBlock {
    let network: IPNetwork
    let range: IPNetwork
    private let handle: OpaquePointer

    init(network: IPNetwork, range: IPNetwork) throws(SharedPoolError) {
        var created: OpaquePointer? = nil
        guard cschedalloc_create(UInt32(network.hostBits), &created) == 0, let created else {
            throw .pool(.outOfMemory(operation: "create block allocator"))
        }
        self.network = network
        self.range = range
        handle = created
        for offset in range.reservedOffsets {
            let ip = IPAddress.of(range.family, range.address.value + offset)
            if network.contains(ip) { mark(ip) }
        }
    }

    deinit { cschedalloc_destroy(handle) }

    /// The lowest free address, now marked used; nil when the block is full.
    func take() -> IPAddress? {
        var offset = cschedalloc_offset()
        guard cschedalloc_allocate(handle, &offset) == 0 else { return nil }
        return IPAddress.of(network.family, network.address.value + (UInt128(offset.high) << 64 | UInt128(offset.low)))
    }

    /// Marks `ip` used (no-op when it is or lies outside).
    func mark(_ ip: IPAddress) {
        guard network.contains(ip) else { return }
        _ = cschedalloc_mark(handle, Self.offset(ip.value - network.address.value))
    }

    /// Marks `ip` free unless it is reserved (no-op when it lies outside).
    func unmark(_ ip: IPAddress) {
        guard network.contains(ip), !range.isReserved(ip) else { return }
        _ = cschedalloc_unmark(handle, Self.offset(ip.value - network.address.value))
    }

    /// Whether no address is free.
    var isFull: Bool { cschedalloc_is_full(handle) == 1 }

    private static func offset(_ value: UInt128) -> cschedalloc_offset {
        cschedalloc_offset(high: UInt64(truncatingIfNeeded: value >> 64), low: UInt64(truncatingIfNeeded: value))
    }
}

/// Choosing the block to claim: the lowest block of the first range that no host has claimed.
enum BlockChooser {
    /// The block prefix used for `range`: the configured one, or the range itself when smaller.
    static func blockPrefix(of range: IPNetwork, v4: Int, v6: Int) -> Int {
        max(range.prefixLength, range.family == .ipv4 ? v4 : v6)
    }

    /// The first unclaimed block over `ranges` (in order), given every claimed block.
    static func firstFree(ranges: [IPNetwork], claimed: [IPNetwork], v4: Int, v6: Int) -> (IPNetwork, IPNetwork)? {
        for range in ranges {
            let prefix = blockPrefix(of: range, v4: v4, v6: v6)
            let shift = UInt128(range.family.bitWidth - prefix)
            let exponent = prefix - range.prefixLength
            let blockCount: UInt128 = exponent >= 128 ? .max : UInt128(1) << UInt128(exponent)
            let taken = claimed.filter { range.contains($0.address) }
                .map { ($0.address.value - range.address.value) >> shift }.sorted()
            var index: UInt128 = 0
            for claimedIndex in taken {
                if claimedIndex == index {
                    index += 1
                } else if claimedIndex > index {
                    break
                }
            }
            if index < blockCount,
                let block = IPNetwork(
                    address: IPAddress.of(range.family, range.address.value + (shift >= 128 ? 0 : index << shift)),
                    prefixLength: prefix)
            {
                return (block, range)
            }
        }
        return nil
    }
}
