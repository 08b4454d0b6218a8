/// A Linux errno from a durable pool's storage: the pool's own counterpart of swift-system's
/// `Errno`, with the same shape (`rawValue`, named constants, the C library's text as its
/// description) and the same names for the values storage meets.
///
/// The pool stays free of swift-system so that it also builds as Embedded Swift for wasm32,
/// where swift-system does not build. `catch StorageErrno.noSpace` matches an
/// ``IPPoolError/storage(operation:path:errno:)`` carrying that errno.
public struct StorageErrno: RawRepresentable, Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno value.
    public let rawValue: Int32

    /// The errno `rawValue`.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `EPERM`: operation not permitted.
    public static let notPermitted = StorageErrno(rawValue: 1)
    /// `ENOENT`: no such file or directory.
    public static let noSuchFileOrDirectory = StorageErrno(rawValue: 2)
    /// `EINTR`: interrupted system call (storage retries these).
    public static let interrupted = StorageErrno(rawValue: 4)
    /// `EIO`: input/output error.
    public static let ioError = StorageErrno(rawValue: 5)
    /// `EBADF`: bad file descriptor.
    public static let badFileDescriptor = StorageErrno(rawValue: 9)
    /// `ENOMEM`: cannot allocate memory.
    public static let noMemory = StorageErrno(rawValue: 12)
    /// `EACCES`: permission denied.
    public static let permissionDenied = StorageErrno(rawValue: 13)
    /// `EEXIST`: file exists.
    public static let fileExists = StorageErrno(rawValue: 17)
    /// `ENOTDIR`: not a directory.
    public static let notDirectory = StorageErrno(rawValue: 20)
    /// `EISDIR`: is a directory.
    public static let isDirectory = StorageErrno(rawValue: 21)
    /// `EINVAL`: invalid argument.
    public static let invalidArgument = StorageErrno(rawValue: 22)
    /// `EMFILE`: too many open files.
    public static let tooManyOpenFiles = StorageErrno(rawValue: 24)
    /// `EFBIG`: file too large.
    public static let fileTooLarge = StorageErrno(rawValue: 27)
    /// `ENOSPC`: no space left on device.
    public static let noSpace = StorageErrno(rawValue: 28)
    /// `EROFS`: read-only file system.
    public static let readOnlyFileSystem = StorageErrno(rawValue: 30)
    /// `ENAMETOOLONG`: file name too long.
    public static let fileNameTooLong = StorageErrno(rawValue: 36)
    /// `ENOLCK`: no locks available.
    public static let noLocks = StorageErrno(rawValue: 37)
    /// `EDQUOT`: disk quota exceeded.
    public static let diskQuotaExceeded = StorageErrno(rawValue: 122)

    /// The symbolic name (`"ENOSPC"`), or nil for a value storage does not expect.
    public var name: String? { Self.known(rawValue)?.name }

    /// The C library's text (`"No space left on device"`), or `"errno N"` for other values.
    public var description: String {
        if let known = Self.known(rawValue) { return known.text }
        return "errno " + (rawValue < 0 ? "-" : "") + AddressText.decimal(UInt64(rawValue.magnitude))
    }

    /// `"No space left on device (ENOSPC, errno 28)"`, as error messages print it; unknown values
    /// give `"errno N"`.
    var messageText: String {
        guard let known = Self.known(rawValue) else { return description }
        return known.text + " (" + known.name + ", errno " + AddressText.decimal(UInt64(rawValue.magnitude)) + ")"
    }

    private static func known(_ code: Int32) -> (name: String, text: String)? {
        switch code {
        case 1: return ("EPERM", "Operation not permitted")
        case 2: return ("ENOENT", "No such file or directory")
        case 4: return ("EINTR", "Interrupted system call")
        case 5: return ("EIO", "Input/output error")
        case 9: return ("EBADF", "Bad file descriptor")
        case 12: return ("ENOMEM", "Cannot allocate memory")
        case 13: return ("EACCES", "Permission denied")
        case 17: return ("EEXIST", "File exists")
        case 20: return ("ENOTDIR", "Not a directory")
        case 21: return ("EISDIR", "Is a directory")
        case 22: return ("EINVAL", "Invalid argument")
        case 24: return ("EMFILE", "Too many open files")
        case 27: return ("EFBIG", "File too large")
        case 28: return ("ENOSPC", "No space left on device")
        case 30: return ("EROFS", "Read-only file system")
        case 36: return ("ENAMETOOLONG", "File name too long")
        case 37: return ("ENOLCK", "No locks available")
        case 122: return ("EDQUOT", "Disk quota exceeded")
        default: return nil
        }
    }
}

#if !hasFeature(Embedded)
    extension StorageErrno {
        /// Matches `error` in a `catch`: a ``IPPoolError/storage(operation:path:errno:)`` (or a
        /// bare `StorageErrno`) carrying this errno, as in `catch StorageErrno.noSpace`.
        public static func ~= (pattern: StorageErrno, error: any Error) -> Bool {
            switch error {
            case let code as StorageErrno: return code == pattern
            case IPPoolError.storage(_, _, let code) as IPPoolError: return code == pattern
            default: return false
            }
        }
    }
#endif
