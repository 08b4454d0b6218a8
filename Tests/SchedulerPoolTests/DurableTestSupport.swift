import Foundation
import Testing

@testable import SchedulerPool

/// The invariants of any pool: no address twice, counts that match the bindings.
func expectConsistent(_ pool: IPPool, sourceLocation: SourceLocation = #_sourceLocation) {
    let bindings = pool.allBindings()
    #expect(Set(bindings.map(\.ip)).count == bindings.count, sourceLocation: sourceLocation)
    let owners = Set(bindings.map { $0.subinstance + "\u{0}" + $0.resource })
    #expect(owners.count == bindings.count, sourceLocation: sourceLocation)
    #expect(
        pool.statistics.allocated == AddressCount(UInt128(bindings.count)),
        sourceLocation: sourceLocation)
    for binding in bindings.prefix(200) {
        #expect(
            pool.binding(for: binding.ip)?.subinstance == binding.subinstance,
            sourceLocation: sourceLocation)
        #expect(
            pool.binding(subinstance: binding.subinstance, resource: binding.resource)?.ip == binding.ip,
            sourceLocation: sourceLocation)
    }
}
