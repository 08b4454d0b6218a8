// swift-tools-version: 6.1
// The HTTP peers for `make bench-http` (Hummingbird 2 and SwiftNIO's NIOHTTP1 servers, and our own
// server with and without the router for its router row) and the
// parser benchmark for `make bench-parser` (our HTTPRequestParser against the llhttp copy inside
// swift-nio). A package of its own so that the library never depends on NIO or Hummingbird.
// Built into ../../../.build-httppeers.
import PackageDescription

let package = Package(
    name: "http-bench-peers",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        .package(name: "scheduler-core", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdHTTPServer",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(
            name: "NIOHTTPServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "RouterOverheadServer",
            dependencies: [.product(name: "SchedulerCore", package: "scheduler-core")]),
        .executableTarget(
            name: "ParserBench",
            dependencies: [
                // NIOHTTP1 links llhttp (swift-nio's CNIOLLHTTP target, not a product of its own);
                // its module is visible to this target through NIOHTTP1.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SchedulerCore", package: "scheduler-core"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
