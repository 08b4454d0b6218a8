// swift-tools-version: 6.1
// The clients of `make bench-client`: our HTTPClient and AsyncHTTPClient (the peer) each send
// GET requests from a fixed number of concurrent keep-alive connections for a fixed time and
// report requests/s and their own CPU time. A package of its own so that the library never
// depends on AsyncHTTPClient or NIO. Built into ../../.build-clientbench.
import PackageDescription

let package = Package(
    name: "client-bench",
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        .package(name: "scheduler-core", path: "../.."),
    ],
    targets: [
        .target(name: "ClientBenchSupport"),
        .executableTarget(
            name: "SchedulerClientBench",
            dependencies: ["ClientBenchSupport", .product(name: "SchedulerCore", package: "scheduler-core")]),
        .executableTarget(
            name: "AHCClientBench",
            dependencies: [
                "ClientBenchSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
