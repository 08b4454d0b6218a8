/// Why a pool or address operation failed; every case carries the input it refused.
public enum IPPoolError: Error, Sendable, Hashable {
    /// The text is not an IPv4 or IPv6 address.
    case malformedAddress(String)
    /// The text is not a CIDR range (bad address, bad prefix, or host bits set).
    case malformedRange(String)
    /// The range shares addresses with a range the pool already has.
    case overlappingRange(IPNetwork, existing: IPNetwork)
    /// Every range of the pool is full (or the pool has no range of use).
    case exhausted(pool: String)
    /// No binding exists for this owner.
    case unknownOwner(subinstance: String, resource: String)
    /// The address lies in the pool but is not allocated.
    case unknownBinding(IPAddress)
    /// The address is already allocated to a different owner.
    case addressHeldByAnotherOwner(IPAddress, subinstance: String, resource: String)
    /// The owner already holds a different address than the one requested.
    case ownerHoldsAnotherAddress(subinstance: String, resource: String, held: IPAddress)
    /// The address lies outside every range of the pool.
    case addressOutsideRanges(IPAddress, pool: String)
    /// The address is the network or broadcast address of an IPv4 range, which is never handed out.
    case reservedAddress(IPAddress, range: IPNetwork)
    /// The allocator could not obtain memory for the operation.
    case outOfMemory(operation: String)
    /// A system call of a durable pool's storage failed: the call, the file, the errno.
    case storage(operation: StorageOperation, path: String, errno: StorageErrno)
    /// A durable pool's files hold something that cannot be recovered (a damaged snapshot, a
    /// journal record that contradicts the state); nothing was changed.
    case corruptStorage(path: String, offset: Int64, reason: String)
    /// The address was released into quarantine and may not be allocated before the deadline
    /// (CLOCK_REALTIME nanoseconds).
    case addressQuarantined(IPAddress, untilNanoseconds: Int64)
    /// A durable pool's name must be usable as a file name: not empty, no `/`, not `.` or `..`.
    case invalidPoolName(String)
}

extension IPPoolError: CustomStringConvertible {
    /// A sentence that names the input and the reason.
    public var description: String {
        switch self {
        case .malformedAddress(let text):
            return "malformed address \"" + text + "\": expected dotted-quad IPv4 or RFC 4291 IPv6 text"
        case .malformedRange(let text):
            return "malformed range \"" + text + "\": expected address/prefix with no host bits set"
        case .overlappingRange(let range, let existing):
            return "range " + range.description + " overlaps range " + existing.description + " already in the pool"
        case .exhausted(let pool):
            return "pool \"" + pool + "\" is exhausted: no free address in any range"
        case .unknownOwner(let subinstance, let resource):
            return "no binding for subinstance \"" + subinstance + "\", resource \"" + resource + "\""
        case .unknownBinding(let ip):
            return "address " + ip.description + " is not allocated"
        case .addressHeldByAnotherOwner(let ip, let subinstance, let resource):
            return "address " + ip.description + " is held by subinstance \"" + subinstance + "\", resource \""
                + resource + "\""
        case .ownerHoldsAnotherAddress(let subinstance, let resource, let held):
            return "subinstance \"" + subinstance + "\", resource \"" + resource + "\" already holds "
                + held.description
        case .addressOutsideRanges(let ip, let pool):
            return "address " + ip.description + " is outside every range of pool \"" + pool + "\""
        case .reservedAddress(let ip, let range):
            return "address " + ip.description + " is the network or broadcast address of " + range.description
        case .outOfMemory(let operation):
            return operation + ": out of memory"
        case .storage(let operation, let path, let code):
            return operation.rawValue + " " + path + ": " + code.messageText
        case .corruptStorage(let path, let offset, let reason):
            return path + " is damaged at offset " + AddressText.decimal(UInt64(clamping: offset)) + ": " + reason
        case .addressQuarantined(let ip, let deadline):
            return "address " + ip.description + " is in quarantine until "
                + AddressText.decimal(UInt64(clamping: deadline)) + " ns (CLOCK_REALTIME)"
        case .invalidPoolName(let name):
            return "pool name \"" + name
                + "\" cannot name files: it must be 1 to 200 bytes, without / or NUL, not . or .."
        }
    }
}
