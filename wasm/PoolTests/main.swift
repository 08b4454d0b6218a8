// The pool core's tests on wasm32: built as Embedded Swift by wasm/build.sh, linked with
// wasi-libc and run under `wasmkit run`. Only the public API of SchedulerPool is used, as a
// user of the library would. The first failed check ends the program with status 1.
import SchedulerPool

/// Runs every test in order; returns only when all of them passed.
func runAllTests() {
    let checker = Checker()
    #if arch(wasm32) && hasFeature(Embedded)
        print("wasm-test: SchedulerPool on wasm32, Embedded Swift")
    #else
        print("wasm-test: SchedulerPool, host build")
    #endif

    checker.run("IPv4 parsing and printing", testIPv4Parsing)
    checker.run("IPv6 parsing and RFC 5952 printing", testIPv6Parsing)
    checker.run("IPNetwork parsing, contains, count", testNetworks)
    checker.run("SocketAddress", testSocketAddress)
    checker.run("C allocator: lowest free, exhaustion, mark, unmark", testAllocatorExhaustion)
    checker.run("C allocator: 128-bit offsets stored sparsely", testAllocatorSparse128)
    checker.run("IPv4 pool: allocation to exhaustion", testExhaustion)
    checker.run("IPv4 pool: release and reuse", testRelease)
    checker.run("bindings", testBindings)
    checker.run("malformed and overlapping ranges", testBadRanges)
    checker.run("IPv6 /64 range", testIPv6Range)
    checker.run("IPv4 /31 and /32 ranges", testPointToPoint)
    checker.run("reconcile(liveOwners:)", testReconcile)
    checker.run("many addresses in a /20", testLargeRange)

    checker.finish()
}

runAllTests()
