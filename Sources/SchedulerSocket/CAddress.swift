import CSchedulerIO
import SchedulerPool

extension csched_io_address {
    /// The C form of `address`.
    package init(_ address: SocketAddress) {
        self.init()
        port = address.port
        let ip = address.ip
        withUnsafeMutableBytes(of: &bytes) { raw in
            if let v4 = ip.ipv4Value {
                family = 4
                withUnsafeBytes(of: v4.bigEndian) { raw.copyMemory(from: $0) }
            } else if let v6 = ip.ipv6Value {
                family = 6
                withUnsafeBytes(of: v6.bigEndian) { raw.copyMemory(from: $0) }
            }
        }
    }

    /// The Swift form, or nil for a family other than IPv4 and IPv6.
    package var socketAddress: SocketAddress? {
        var copy = bytes
        return withUnsafeBytes(of: &copy) { raw -> SocketAddress? in
            switch family {
            case 4:
                let v4 = UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))
                return SocketAddress(ip: IPAddress(ipv4: v4), port: port)
            case 6:
                let v6 = UInt128(bigEndian: raw.loadUnaligned(as: UInt128.self))
                return SocketAddress(ip: IPAddress(ipv6: v6), port: port)
            default:
                return nil
            }
        }
    }
}

extension AddressFamily {
    /// 4 or 6, as the C core spells families.
    var cFamily: Int32 {
        switch self {
        case .ipv4: return 4
        case .ipv6: return 6
        }
    }
}
