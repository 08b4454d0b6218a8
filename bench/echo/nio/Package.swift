// swift-tools-version: 6.1
// The SwiftNIO echo peer for `make bench-echo`. A package of its own so that the library never
// depends on NIO. Built into ../../../.build-nio.
import PackageDescription

let package = Package(
    name: "nio-echo-peer",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2")
    ],
    targets: [
        .executableTarget(
            name: "NIOEchoServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ])
    ]
)
