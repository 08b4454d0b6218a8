import Foundation

/// A fresh directory under /tmp, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    /// Why a temporary directory could not be made.
    public struct CreationFailed: Error {
        /// The errno of `mkdtemp(3)`.
        public let errno: Int32
    }

    /// The directory's absolute path.
    public let path: String

    /// Makes a new directory named `/tmp/<prefix>XXXXXX`.
    public init(prefix: String = "scheduler-core-test-") throws {
        var template = Array(("/tmp/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw CreationFailed(errno: errno) }
        path = String(cString: template)
    }

    /// Removes the directory and everything in it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The bytes of a file of the directory.
    public func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }

    /// Replaces a file of the directory.
    public func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }
}
