// swift-tools-version: 6.1
import PackageDescription

// Module layout (why several modules behind one `SchedulerCore`):
// - SchedulerPool: addresses, networks and the IP pool. No Foundation, typed throws only, so the
//   same sources also build as Embedded Swift for wasm32 (`make wasm-test`).
// - SchedulerSocket: the blocking `Socket` on io_uring with a POSIX fallback.
// - SchedulerEngine: the async many-connection engine (TCPServer, TCPEngine) on its own rings.
// - SchedulerHTTP: HTTP/1.1 parser, server, router, middleware on the engine (swift-http-types,
//   swift-log, swift-service-lifecycle).
// - SchedulerPoolPostgres: pools shared by many hosts in PostgreSQL through libpq (CLibPQ). Not
//   part of SchedulerCore, so that in-memory and durable pool users link no database client.
// - SchedulerCore: the library users import; it re-exports the four above. A user who wants only
//   the pool, the sockets or the engine depends on that module's product and builds no HTTP code.
//
// What a user's build gets: the product SchedulerCore and only the packages its modules use.
// The examples (and swift-argument-parser, which only they use) are a package of their own in
// Examples/, depending on this one by path; the DocC plugin is added only for `make docs`
// (see the end of this file). `make consumer-check` proves both with a throwaway user package.
let package = Package(
    name: "scheduler-core",
    products: [
        .library(name: "SchedulerCore", targets: ["SchedulerCore"]),
        .library(name: "SchedulerPool", targets: ["SchedulerPool"]),
        .library(name: "SchedulerSocket", targets: ["SchedulerSocket"]),
        .library(name: "SchedulerEngine", targets: ["SchedulerEngine"]),
        .library(name: "SchedulerHTTP", targets: ["SchedulerHTTP"]),
        // Pools shared by many hosts in PostgreSQL (libpq): a product of its own, outside
        // SchedulerCore, so that in-memory and durable pool users never link a database client.
        .library(name: "SchedulerPoolPostgres", targets: ["SchedulerPoolPostgres"]),
        .executable(name: "pool-bench", targets: ["PoolBenchmark"]),
        .executable(name: "durable-bench", targets: ["DurableBenchmark"]),
        .executable(name: "engine-lock-bench", targets: ["EngineLockBenchmark"]),
        .executable(name: "router-bench", targets: ["RouterBenchmark"]),
        .executable(name: "json-bench", targets: ["JSONBenchmark"]),
        .executable(name: "ws-codec-bench", targets: ["WebSocketCodecBenchmark"]),
        .executable(name: "shared-bench", targets: ["SharedPoolBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C cores
        // No unsafe flags (a package that depends on this one by version could not build): SwiftPM
        // already compiles C with -O2 in `-c release` (-O0 in debug).
        .target(name: "CSchedulerAllocator", path: "CSources/CSchedulerAllocator"),
        // liburing, found with pkg-config; without liburing-dev a user's build says what to install.
        .systemLibrary(
            name: "CLibURing", path: "CSources/CLibURing", pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]),
        .target(
            name: "CSchedulerIO", dependencies: ["CLibURing"], path: "CSources/CSchedulerIO",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("uring")]),
        .target(
            name: "CSchedulerEngine", dependencies: ["CSchedulerIO", "CLibURing"],
            path: "CSources/CSchedulerEngine", cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("uring")]),
        // libpq (Debian's libpq-dev), found with pkg-config; only SchedulerPoolPostgres uses it.
        .systemLibrary(
            name: "CLibPQ", path: "CSources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // zlib for the HTTP compression middleware (Debian's zlib1g-dev).
        .target(name: "CZlib", path: "CSources/CZlib", linkerSettings: [.linkedLibrary("z")]),
        // UTF-8 validation of WebSocket text on AVX2/SSSE3, chosen at run time (no -march flag).
        .target(name: "CSchedulerUTF8", path: "CSources/CSchedulerUTF8"),
        // The HTTP head parser's fast path: well-formed field lines in bulk, SSE2 where present.
        .target(name: "CSchedulerHTTPScan", path: "CSources/CSchedulerHTTPScan"),

        // Swift modules
        .target(name: "SchedulerPool", dependencies: ["CSchedulerAllocator"]),
        .target(name: "SchedulerPoolPostgres", dependencies: ["SchedulerPool", "CSchedulerAllocator", "CLibPQ"]),
        .target(
            name: "SchedulerSocket",
            dependencies: [
                "SchedulerPool", "CSchedulerIO",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .target(
            name: "SchedulerEngine",
            dependencies: [
                "SchedulerPool", "SchedulerSocket", "CSchedulerEngine",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // As SchedulerHTTP (see there): async code stays on the caller's executor.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
        // HTTP/1.1: the parser (Parser/) and the server (Server/), heads as swift-http-types values.
        .target(
            name: "SchedulerHTTP",
            dependencies: [
                "SchedulerPool", "SchedulerEngine", "CZlib", "CSchedulerUTF8", "CSchedulerHTTPScan",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Nonisolated async functions run on their caller's executor (the connection's loop)
            // instead of hopping to the generic one on every call and resume: each such hop took
            // the task's status-record lock to find its executor preference (8 % of a server's CPU).
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
        .target(
            name: "SchedulerCore",
            dependencies: [
                "SchedulerPool", "SchedulerSocket", "SchedulerEngine", "SchedulerHTTP",
            ]),

        // Benchmarks (run by `make bench`, never by `make test`)
        .target(name: "CLinearScan", path: "bench/pool/CLinearScan"),
        .target(name: "CLockChurn", dependencies: ["CSchedulerAllocator"], path: "bench/pool/CLockChurn"),
        .executableTarget(
            name: "PoolBenchmark", dependencies: ["SchedulerPool", "CSchedulerAllocator", "CLinearScan", "CLockChurn"],
            path: "bench/pool/PoolBenchmark"),

        .executableTarget(
            name: "EngineLockBenchmark", dependencies: ["SchedulerEngine", "SchedulerPool"], path: "bench/enginelock"),
        .executableTarget(name: "DurableBenchmark", dependencies: ["SchedulerPool"], path: "bench/durable"),
        .executableTarget(
            name: "RouterBenchmark",
            dependencies: [
                "SchedulerHTTP", "SchedulerPool", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/router"),

        .executableTarget(name: "JSONBenchmark", dependencies: ["SchedulerHTTP"], path: "bench/json"),

        .executableTarget(
            name: "WebSocketCodecBenchmark", dependencies: ["SchedulerHTTP", "CSchedulerUTF8"], path: "bench/wscodec"),

        // make bench-shared: the shared pool against a NetBox-style baseline on one PostgreSQL.
        .executableTarget(
            name: "SharedPoolBenchmark", dependencies: ["SchedulerPool", "SchedulerPoolPostgres", "CLibPQ"],
            path: "bench/shared"),

        // Tests
        // The second process of the durable pool tests (killed with SIGKILL, or racing the first).
        .executableTarget(name: "PoolCrashChild", dependencies: ["SchedulerPool"], path: "Tests/PoolCrashChild"),
        // A host of the shared-pool tests (several at once, some killed with SIGKILL).
        .executableTarget(
            name: "SharedPoolChild", dependencies: ["SchedulerPool", "SchedulerPoolPostgres"], path: "Tests/SharedPoolChild"),
        // Helpers every test target shares (descriptor counts, a raw loopback client, a
        // temporary directory, a background thread); plain C library and Foundation only.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // What the library really did, seen from outside it: SIGPIPEs delivered, and the
        // fdatasync calls that ran (it defines fdatasync for the test binary only).
        .target(name: "CTestProbes", path: "Tests/CTestProbes"),
        .testTarget(
            name: "SchedulerPoolTests", dependencies: ["SchedulerPool", "PoolCrashChild", "TestSupport", "CTestProbes"]),
        // Needs PostgreSQL: `make test-postgres` starts a throwaway cluster and sets
        // SCHEDULER_CORE_PG_URL; without it the suite says so and skips.
        .testTarget(
            name: "SchedulerPoolPostgresTests",
            dependencies: ["SchedulerPool", "SchedulerPoolPostgres", "SharedPoolChild", "TestSupport"]),
        .testTarget(name: "SchedulerSocketTests", dependencies: ["SchedulerSocket", "TestSupport", "CTestProbes"]),
        .testTarget(name: "SchedulerEngineTests", dependencies: ["SchedulerEngine", "TestSupport", "CTestProbes"]),
        .testTarget(
            name: "SchedulerHTTPTests",
            dependencies: [
                "SchedulerHTTP", "CZlib", "CSchedulerUTF8", .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(
            name: "SchedulerHTTPServerTests",
            dependencies: [
                "SchedulerHTTP", "SchedulerPool", "SchedulerEngine", "TestSupport", "CZlib",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "SchedulerHTTPClientTests",
            dependencies: [
                "SchedulerHTTP", "SchedulerPool", "SchedulerEngine", "TestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(name: "APIContractTests", dependencies: ["SchedulerCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// `make docs` sets SCHEDULER_CORE_DOCS=1 to bring in the DocC plugin. A user's build never sets
// it, so it never resolves the plugin (swift-nio does the same for its dev-only dependencies).
if Context.environment["SCHEDULER_CORE_DOCS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
