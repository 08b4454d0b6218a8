import CSchedulerIO
import SystemPackage

/// The symbolic name of an errno (`"EACCES"`), or `"E?"` when the C library does not know it.
func errnoName(_ errno: Errno) -> String {
    guard let name = csched_io_errno_name(errno.rawValue) else { return "E?" }
    return String(cString: name)
}
