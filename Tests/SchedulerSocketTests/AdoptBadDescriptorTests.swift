import TestSupport
import Foundation
import SystemPackage
import Testing

@testable import SchedulerSocket

/// A descriptor handed to `Socket(adopting:)` is input: a bad one is a typed error and the
/// process lives on (it used to trap on EBADF).
@Suite("Adopting bad descriptors", .timeLimit(.minutes(2)))
struct AdoptBadDescriptorTests {
    @Test("a number that was never opened throws EBADF")
    func neverOpened() throws {
        let descriptor: Int32 = 9999
        try #require(!isOpen(descriptor))
        let error = socketError { () throws(SocketError) in try Socket(adopting: descriptor) }
        #expect(error == .system(operation: .adopt, address: nil, errno: .badFileDescriptor))
        #expect(error?.description == "adopt: Bad file descriptor (EBADF, errno 9)")
    }

    @Test("a negative number is refused before any system call")
    func negative() throws {
        let error = socketError { () throws(SocketError) in try Socket(adopting: -1) }
        #expect(error == .invalidArgument(operation: .adopt, reason: "descriptor must not be negative, got -1"))
    }

    @Test("a descriptor closed before adoption throws EBADF")
    func alreadyClosed() throws {
        let socket = try Socket.tcpV4()
        let descriptor = try socket.releaseDescriptor()
        #expect(Foundation.close(descriptor) == 0)
        let error = socketError { () throws(SocketError) in try Socket(adopting: descriptor) }
        #expect(error == .system(operation: .adopt, address: nil, errno: .badFileDescriptor))
        #expect(!isOpen(descriptor))
    }

    @Test("a regular file's descriptor throws ENOTSOCK and stays the caller's")
    func regularFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("adopt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        defer {
            Foundation.close(descriptor)
            unlink(path)
        }
        let error = socketError { () throws(SocketError) in try Socket(adopting: descriptor) }
        #expect(error == .system(operation: .adopt, address: nil, errno: .notSocket))
        #expect(isOpen(descriptor))
        #expect(write(descriptor, "still mine", 10) == 10)
    }
}
