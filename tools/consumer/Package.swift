// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "my-service",
    dependencies: [
        .package(url: "https://github.com/your-org/scheduler-core.git", from: "0.1.0")
    ],
    targets: [
        .executableTarget(
            name: "MyService",
            dependencies: [.product(name: "SchedulerCore", package: "scheduler-core")])
    ]
)
