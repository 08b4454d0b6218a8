import Testing
@testable import SchedulerEngine

@Test func placeholderSchedulerEngine() { #expect(Bool(true)) }
