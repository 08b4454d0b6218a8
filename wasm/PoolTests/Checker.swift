// The test harness of the wasm32 program: there is no XCTest or Swift Testing in Embedded
// Swift, so each check either counts as passed or ends the program with status 1 at once.
import CWasmTestSupport
import SchedulerPool

/// Counts passed tests and checks, and ends the program on the first failed check.
final class Checker {
    /// Checks that held so far.
    private(set) var passed = 0
    /// Tests whose every check held.
    private(set) var testsPassed = 0
    private var test = ""

    /// Runs one named test; its checks are reported under that name. A test that makes no
    /// check fails.
    func run(_ name: String, _ body: (Checker) -> Void) {
        test = name
        let before = passed
        body(self)
        // A test that checked nothing has not tested anything: that is a failure, not a pass.
        guard passed > before else { fail("made no checks") }
        testsPassed += 1
        print("  ok   \(name) (\(passed - before) checks)")
    }

    /// Prints the closing lines of a run in which every test passed.
    func finish() {
        print("wasm-test: \(passed) checks held in \(testsPassed) tests")
        print("wasm-test: \(testsPassed) passed, 0 failed")
    }

    /// Passes when `condition` holds; otherwise prints what was expected and exits with 1.
    func expect(_ condition: Bool, _ what: @autoclosure () -> String, line: UInt = #line) {
        guard condition else { fail(what(), line: line) }
        passed += 1
    }

    /// Reports a failed check and ends the program with status 1.
    func fail(_ message: String, line: UInt = #line) -> Never {
        print("  FAIL \(test): \(message) (wasm/PoolTests, line \(line))")
        print("wasm-test: \(testsPassed) passed, 1 failed")
        cwasmtest_exit(1)
    }

    /// Passes when `actual == expected`, naming both values when they differ.
    func expectEqual<T: Equatable & CustomStringConvertible>(
        _ actual: T, _ expected: T, _ what: @autoclosure () -> String, line: UInt = #line
    ) {
        expect(actual == expected, "\(what()): got \(actual.description), expected \(expected.description)", line: line)
    }

    /// Returns the value `body` produced; a thrown `IPPoolError` is a failure that names `what`.
    @discardableResult
    func expectNoThrow<T>(
        _ what: @autoclosure () -> String, line: UInt = #line, _ body: () throws(IPPoolError) -> T
    ) -> T {
        do {
            let value = try body()
            passed += 1
            return value
        } catch {
            fail("\(what()) threw: \(error)", line: line)
        }
    }

    /// Returns the `IPPoolError` `body` threw; not throwing is a failure that names `what`.
    @discardableResult
    func expectThrows<T>(
        _ what: @autoclosure () -> String, line: UInt = #line, _ body: () throws(IPPoolError) -> T
    ) -> IPPoolError {
        do {
            _ = try body()
        } catch {
            passed += 1
            return error
        }
        fail("\(what()) did not throw", line: line)
    }
}
