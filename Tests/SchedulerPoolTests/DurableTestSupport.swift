import Foundation
import Testing

@testable import SchedulerPool

/// A fresh directory under /tmp, removed by `remove()`.
struct DurableTemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/durable-pool-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        path = String(cString: template)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The bytes of a file of the directory.
    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }

    /// Replaces a file of the directory.
    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }
}

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
