import Testing
@testable import SchedulerPool

@Test func placeholderSchedulerPool() { #expect(Bool(true)) }
