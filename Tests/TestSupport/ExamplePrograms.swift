import Foundation

/// Why an example program could not be found.
public struct ExampleProgramMissing: Error, CustomStringConvertible {
    /// What to do about it.
    public let description: String
}

/// The path of an executable of the Examples package (`socket-with-ip-pool`, `http-server`...).
///
/// Looked for in `SCHEDULER_CORE_EXAMPLES_BIN` if set, else in `Examples/.build/debug` of this
/// checkout, which `make test` builds before the tests. A missing program is an error, never a
/// skip: a test of an example that is not there has not run.
public func exampleProgram(_ name: String) throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var folders: [String] = []
    if let bin = ProcessInfo.processInfo.environment["SCHEDULER_CORE_EXAMPLES_BIN"] { folders.append(bin) }
    folders.append(root.appendingPathComponent("Examples/.build/debug").path)
    for folder in folders {
        let path = (folder as NSString).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw ExampleProgramMissing(
        description: "\(name) is not built: run `swift build --package-path Examples` (make test does) "
            + "or set SCHEDULER_CORE_EXAMPLES_BIN; looked in \(folders.joined(separator: ", "))")
}
