/// Names and texts of the Linux errno values a durable pool's storage meets, for error messages
/// (plain Swift, so that `IPPoolError`'s description builds everywhere the pool does).
enum StorageErrno {
    /// `"No space left on device (ENOSPC, errno 28)"`; unknown values give `"errno N"`.
    static func describe(_ code: Int32) -> String {
        let known: (name: String, text: String)?
        switch code {
        case 1: known = ("EPERM", "Operation not permitted")
        case 2: known = ("ENOENT", "No such file or directory")
        case 5: known = ("EIO", "Input/output error")
        case 9: known = ("EBADF", "Bad file descriptor")
        case 12: known = ("ENOMEM", "Cannot allocate memory")
        case 13: known = ("EACCES", "Permission denied")
        case 17: known = ("EEXIST", "File exists")
        case 20: known = ("ENOTDIR", "Not a directory")
        case 21: known = ("EISDIR", "Is a directory")
        case 22: known = ("EINVAL", "Invalid argument")
        case 24: known = ("EMFILE", "Too many open files")
        case 27: known = ("EFBIG", "File too large")
        case 28: known = ("ENOSPC", "No space left on device")
        case 30: known = ("EROFS", "Read-only file system")
        case 36: known = ("ENAMETOOLONG", "File name too long")
        case 37: known = ("ENOLCK", "No locks available")
        case 122: known = ("EDQUOT", "Disk quota exceeded")
        default: known = nil
        }
        let number = "errno " + (code < 0 ? "-" : "") + AddressText.decimal(UInt64(code.magnitude))
        guard let known else { return number }
        return known.text + " (" + known.name + ", " + number + ")"
    }
}
