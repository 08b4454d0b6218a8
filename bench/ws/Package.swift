// swift-tools-version: 6.1
// The servers of `make bench-ws`: a WebSocket echo server on our HTTPRouter and the same on
// Hummingbird's WebSocket (the peer); the load generator is C (ws_load.c beside this file, built
// by the Makefile). A package of its own so that the library never depends on NIO or
// Hummingbird. Built into ../../.build-wsbench.
import PackageDescription

let package = Package(
    name: "ws-bench",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.6.0"),
        .package(name: "scheduler-core", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdWSServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ]),
        .executableTarget(
            name: "SchedulerWSServer", dependencies: [.product(name: "SchedulerCore", package: "scheduler-core")]),
    ],
    swiftLanguageModes: [.v5]
)
