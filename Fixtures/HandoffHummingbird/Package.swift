// swift-tools-version: 6.2
import PackageDescription

// Shows and proves how a Hummingbird 2 server adopts Handoff's zero-downtime upgrades. A package
// of its own so that the root package keeps no third-party dependency.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "HandoffHummingbird",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "HandoffHummingbird", targets: ["HandoffHummingbird"]),
        .executable(name: "handoff-hummingbird", targets: ["HandoffHummingbirdDemo"]),
    ],
    dependencies: [
        .package(name: "Handoff", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "HandoffHummingbird",
            dependencies: [
                .product(name: "Handoff", package: "Handoff"),
                .product(name: "HandoffServices", package: "Handoff"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The demo's routes on Hummingbird, upgraded on SIGHUP: what the tests and
        // Scripts/integration/hummingbird.sh run.
        .executableTarget(
            name: "HandoffHummingbirdDemo",
            dependencies: [
                "HandoffHummingbird",
                .product(name: "Handoff", package: "Handoff"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Real processes of handoff-hummingbird, upgraded with SIGHUP.
        .testTarget(
            name: "HandoffHummingbirdTests",
            dependencies: ["HandoffHummingbirdDemo"],
            swiftSettings: swiftSettings
        ),
    ]
)
