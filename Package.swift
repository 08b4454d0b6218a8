// swift-tools-version: 6.1
import PackageDescription

// Module layout (why several modules behind one `SchedulerCore`):
// - SchedulerPool: addresses, networks and the IP pool. No Foundation, typed throws only, so the
//   same sources also build as Embedded Swift for wasm32 (`make wasm-test`).
// - SchedulerSocket: the blocking `Socket` on io_uring with a POSIX fallback.
// - SchedulerEngine: the async many-connection engine (TCPServer) on its own rings.
// - SchedulerCore: the library users import; it re-exports the three above.
let package = Package(
    name: "scheduler-core",
    products: [
        .library(name: "SchedulerCore", targets: ["SchedulerCore"]),
        .executable(name: "socket-with-ip-pool", targets: ["SocketWithIPPool"]),
        .executable(name: "echo-server", targets: ["EchoServer"]),
        .executable(name: "http-server", targets: ["HTTPServerExample"]),
        .executable(name: "http-client", targets: ["HTTPClientExample"]),
        .executable(name: "tenant-sites", targets: ["TenantSites"]),
        .executable(name: "pool-bench", targets: ["PoolBenchmark"]),
        .executable(name: "durable-bench", targets: ["DurableBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C cores
        .target(
            name: "CSchedulerAllocator", path: "CSources/CSchedulerAllocator",
            cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "CSchedulerIO", path: "CSources/CSchedulerIO",
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("uring")]),
        .target(
            name: "CSchedulerEngine", dependencies: ["CSchedulerIO"], path: "CSources/CSchedulerEngine",
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("uring")]),
        // zlib for the HTTP compression middleware (Debian's zlib1g-dev).
        .target(name: "CZlib", path: "CSources/CZlib", linkerSettings: [.linkedLibrary("z")]),

        // Swift modules
        .target(name: "SchedulerPool", dependencies: ["CSchedulerAllocator"]),
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
            ]),
        // HTTP/1.1: the parser (Parser/) and the server (Server/), heads as swift-http-types values.
        .target(
            name: "SchedulerHTTP",
            dependencies: [
                "SchedulerPool", "SchedulerEngine", "CZlib", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "SchedulerCore",
            dependencies: [
                "SchedulerPool", "SchedulerSocket", "SchedulerEngine", "SchedulerHTTP",
            ]),

        // Executables
        .executableTarget(
            name: "SocketWithIPPool", dependencies: ["SchedulerCore"],
            path: "Examples/SocketWithIPPool"),
        .executableTarget(
            name: "EchoServer",
            dependencies: [
                "SchedulerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Examples/EchoServer"),
        .executableTarget(name: "TenantSites", dependencies: ["SchedulerCore"], path: "Examples/TenantSites"),
        .executableTarget(
            name: "HTTPServerExample",
            dependencies: [
                "SchedulerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Examples/HTTPServer"),
        .executableTarget(
            name: "HTTPClientExample",
            dependencies: [
                "SchedulerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ], path: "Examples/HTTPClient"),

        // Benchmarks (run by `make bench`, never by `make test`)
        .target(
            name: "CLinearScan", path: "bench/pool/CLinearScan",
            cSettings: [.unsafeFlags(["-O2"])]),
        .executableTarget(
            name: "PoolBenchmark", dependencies: ["SchedulerPool", "CSchedulerAllocator", "CLinearScan"],
            path: "bench/pool/PoolBenchmark"),

        .executableTarget(name: "DurableBenchmark", dependencies: ["SchedulerPool"], path: "bench/durable"),

        // Tests
        // The second process of the durable pool tests (killed with SIGKILL, or racing the first).
        .executableTarget(name: "PoolCrashChild", dependencies: ["SchedulerPool"], path: "Tests/PoolCrashChild"),
        .testTarget(name: "SchedulerPoolTests", dependencies: ["SchedulerPool", "PoolCrashChild"]),
        .testTarget(name: "SchedulerSocketTests", dependencies: ["SchedulerSocket"]),
        .testTarget(name: "SchedulerEngineTests", dependencies: ["SchedulerEngine"]),
        .testTarget(
            name: "SchedulerHTTPServerTests",
            dependencies: [
                "SchedulerHTTP", "SchedulerPool", "SchedulerEngine", "CZlib",
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "SchedulerHTTPClientTests",
            dependencies: [
                "SchedulerHTTP", "SchedulerPool", "SchedulerEngine",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(
            name: "SchedulerHTTPTests",
            dependencies: ["SchedulerHTTP", .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "APIContractTests", dependencies: ["SchedulerCore"]),
    ],
    swiftLanguageModes: [.v6]
)
