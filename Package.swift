// swift-tools-version: 6.1
import PackageDescription

// Handoff takes no third-party packages: only the toolchain and the small C target below.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Handoff",
    products: [
        .library(name: "Handoff", targets: ["Handoff"]),
        .executable(name: "handoff-demo", targets: ["HandoffDemo"]),
    ],
    targets: [
        // C for what Swift cannot import: CMSG_* macros, SCM_CREDENTIALS, posix_spawn
        // attributes, hardware CRC32C.
        .target(name: "CHandoff"),
        .target(
            name: "Handoff",
            dependencies: ["CHandoff"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HandoffDemo",
            dependencies: ["Handoff", "CHandoff"],
            swiftSettings: swiftSettings
        ),
        // A program the tests spawn as parent and child of real upgrades; its behaviour is
        // scripted through its environment and a plan file (see Fixtures/HandoffFixture).
        .executableTarget(
            name: "handoff-fixture",
            dependencies: ["Handoff"],
            path: "Fixtures/HandoffFixture",
            swiftSettings: swiftSettings
        ),
        // Claims from a DirectoryStore in its own process, for the tests of concurrent and
        // crashed claimers.
        .executableTarget(
            name: "handoff-store-fixture",
            dependencies: ["Handoff"],
            path: "Fixtures/StoreFixture",
            swiftSettings: swiftSettings
        ),
        // Runs its services under a ServiceRunner with the admin endpoint, for the tests of stop
        // signals, /ready during an upgrade's drain, and metrics across upgrades.
        .executableTarget(
            name: "handoff-runner-fixture",
            dependencies: ["Handoff"],
            path: "Fixtures/RunnerFixture",
            swiftSettings: swiftSettings
        ),
        // Holds a mailbox of jobs (pending and unacknowledged) across a real upgrade, for the
        // test that none is lost or duplicated.
        .executableTarget(
            name: "handoff-mailbox-fixture",
            dependencies: ["Handoff"],
            path: "Fixtures/MailboxFixture",
            swiftSettings: swiftSettings
        ),
        // Drives the upgrade benchmarks (Scripts/bench): sends SIGHUP, times READY and exit.
        .executableTarget(
            name: "handoff-bench",
            dependencies: ["Handoff", "CHandoff"],
            path: "Scripts/bench/HandoffBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HandoffTests",
            dependencies: ["Handoff", "CHandoff"],
            swiftSettings: swiftSettings
        ),
    ]
)
