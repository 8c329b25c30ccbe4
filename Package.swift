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
        .library(name: "HandoffEtcd", targets: ["HandoffEtcd"]),
        .executable(name: "handoff-demo", targets: ["HandoffDemo"]),
        .executable(name: "handoffctl", targets: ["HandoffCtl"]),
        .executable(name: "handoff-keeper", targets: ["HandoffKeeper"]),
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
        // The etcd-backed HandoffStore. A module of its own because it needs URLSession: linking
        // FoundationNetworking (and with it Foundation, ICU and libcurl) adds about 10 ms to
        // every process start, which a program that does not use etcd should not pay.
        .target(
            name: "HandoffEtcd",
            dependencies: ["Handoff"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HandoffDemo",
            dependencies: ["Handoff", "HandoffEtcd", "CHandoff"],
            swiftSettings: swiftSettings
        ),
        // The operator's command: upgrade, status, inspect, offers (Sources/HandoffCtl).
        .executableTarget(
            name: "HandoffCtl",
            dependencies: ["Handoff", "HandoffEtcd"],
            swiftSettings: swiftSettings
        ),
        // PID 1 in front of a Handoff program in a container (Sources/HandoffKeeper): the same
        // loop as the keeper an Upgrader becomes by itself as PID 1.
        .executableTarget(
            name: "HandoffKeeper",
            dependencies: ["Handoff"],
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
        // Claims from a DirectoryStore or an EtcdStore in its own process, for the tests of
        // concurrent and crashed claimers.
        .executableTarget(
            name: "handoff-store-fixture",
            dependencies: ["Handoff", "HandoffEtcd"],
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
            dependencies: ["Handoff", "HandoffEtcd", "CHandoff"],
            path: "Scripts/bench/HandoffBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HandoffTests",
            dependencies: ["Handoff", "HandoffEtcd", "CHandoff"],
            swiftSettings: swiftSettings
        ),
    ]
)
