import Testing
import SchedulerCore

@Test func placeholderContract() { #expect(Bool(true)) }
