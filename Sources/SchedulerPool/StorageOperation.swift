/// The system calls of a durable pool's storage that an ``IPPoolError/storage(operation:path:errno:)``
/// can name; the raw value is the call as error messages print it.
public enum StorageOperation: String, Sendable, Hashable, CustomStringConvertible {
    /// Opening the journal, a snapshot or the pool's directory (`open(2)`).
    case open
    /// Creating the pool's directory (`mkdir(2)`).
    case makeDirectory = "mkdir"
    /// Reading a file's size (`fstat(2)`).
    case status = "fstat"
    /// Reading (`pread(2)`).
    case read = "pread"
    /// Writing (`pwrite(2)`).
    case write = "pwrite"
    /// Cutting the journal back (`ftruncate(2)`).
    case truncate = "ftruncate"
    /// Making written data durable (`fdatasync(2)`).
    case syncData = "fdatasync"
    /// Making a directory entry durable (`fsync(2)`).
    case sync = "fsync"
    /// Replacing a snapshot (`rename(2)`).
    case rename
    /// Taking the journal's lock (`fcntl(2)` with `F_OFD_SETLKW`).
    case lock = "fcntl(F_OFD_SETLKW)"
    /// Checking the quarantine given to `DurablePool` (not a system call: EINVAL when negative).
    case checkQuarantine = "quarantine must be zero or positive"

    /// The call's name, as error messages print it.
    public var description: String { rawValue }
}
