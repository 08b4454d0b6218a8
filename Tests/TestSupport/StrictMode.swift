import Foundation

/// True when `SCHEDULER_CORE_STRICT=1` (`.ci/run` sets it): a test whose prerequisite is missing
/// (python3, a network namespace, a C compiler, a corpus) then runs and fails with the reason,
/// instead of switching itself off as it may on a developer's machine.
public let strictMode: Bool = ProcessInfo.processInfo.environment["SCHEDULER_CORE_STRICT"] == "1"

/// The condition for `.enabled(if:)` of a test with a prerequisite: the prerequisite holds, or
/// strict mode wants the test to run (and fail) anyway.
public func runsHere(_ prerequisiteHolds: Bool) -> Bool { prerequisiteHolds || strictMode }

/// The first executable file called `name` in the directories of PATH, or nil.
public func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
