// swift-tools-version: 6.1
import PackageDescription

// The examples, a package of their own so that a user's build of SchedulerCore never resolves
// what only they need (swift-argument-parser). They use this repository by path.
// `make run` runs socket-with-ip-pool; `make test` builds them all and runs the README ones,
// which hold every Swift block of the README verbatim (`make readme-check` compares them).
let package = Package(
    name: "scheduler-core-examples",
    products: [
        .executable(name: "socket-with-ip-pool", targets: ["SocketWithIPPool"]),
        .executable(name: "echo-server", targets: ["EchoServer"]),
        .executable(name: "http-server", targets: ["HTTPServerExample"]),
        .executable(name: "tenant-sites", targets: ["TenantSites"]),
        .executable(name: "http-client", targets: ["HTTPClientExample"]),
        .executable(name: "readme-tour", targets: ["ReadmeTour"]),
        .executable(name: "readme-engine", targets: ["ReadmeEngine"]),
        .executable(name: "readme-handler", targets: ["ReadmeHandler"]),
        .executable(name: "readme-durable", targets: ["ReadmeDurable"]),
        .executable(name: "ippool", targets: ["IPPoolTool"]),
    ],
    dependencies: [
        .package(name: "scheduler-core", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(name: "SocketWithIPPool", dependencies: [core], path: "SocketWithIPPool"),
        .executableTarget(
            name: "EchoServer",
            dependencies: [core, .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "EchoServer"),
        // The HTTP.md demo server, and three tenants' sites on three pool addresses.
        .executableTarget(
            name: "HTTPServerExample",
            dependencies: [
                core, .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "HTTPServer"),
        .executableTarget(name: "TenantSites", dependencies: [core], path: "TenantSites"),
        .executableTarget(
            name: "HTTPClientExample",
            dependencies: [
                core, .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ], path: "HTTPClient"),
        // ippool: operate durable local pools and pools shared in PostgreSQL.
        .executableTarget(
            name: "IPPoolTool",
            dependencies: [
                .product(name: "SchedulerPool", package: "scheduler-core"),
                .product(name: "SchedulerPoolPostgres", package: "scheduler-core"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "IPPoolTool"),
        // The README's code blocks, each between `// README begin` and `// README end` lines
        // (or a whole file), with the checks that it did what the README says around it.
        .target(name: "ReadmeSupport", dependencies: [core], path: "ReadmeSupport"),
        .executableTarget(name: "ReadmeTour", dependencies: [core], path: "ReadmeTour"),
        .executableTarget(name: "ReadmeEngine", dependencies: [core, "ReadmeSupport"], path: "ReadmeEngine"),
        .executableTarget(name: "ReadmeHandler", dependencies: [core, "ReadmeSupport"], path: "ReadmeHandler"),
        .executableTarget(name: "ReadmeDurable", dependencies: [core], path: "ReadmeDurable"),
    ],
    swiftLanguageModes: [.v6]
)

/// The library, as a user's package names it.
var core: Target.Dependency { .product(name: "SchedulerCore", package: "scheduler-core") }
