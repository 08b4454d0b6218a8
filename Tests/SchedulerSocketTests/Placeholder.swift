import Testing
@testable import SchedulerSocket

@Test func placeholderSchedulerSocket() { #expect(Bool(true)) }
