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
        // The upgrader and the state handoff: what the README's first snippet needs, nothing more.
        .library(name: "Handoff", targets: ["Handoff"]),
        // The process framework: ordered services, supervision, mailboxes, health, logging.
        .library(name: "HandoffServices", targets: ["HandoffServices"]),
        // Operations: the admin endpoint and its HTTP engine, metrics, options, the control socket.
        .library(name: "HandoffOperations", targets: ["HandoffOperations"]),
        .library(name: "HandoffEtcd", targets: ["HandoffEtcd"]),
        // For users' tests: a conformance suite for any HandoffStore, checks for a HandoffAware
        // type, an in-process upgrade harness. Framework-neutral: no XCTest, no Swift Testing.
        .library(name: "HandoffTesting", targets: ["HandoffTesting"]),
        .executable(name: "handoff-demo", targets: ["HandoffDemo"]),
        .executable(name: "handoffctl", targets: ["HandoffCtl"]),
        .executable(name: "handoff-keeper", targets: ["HandoffKeeper"]),
    ],
    targets: [
        // C for what Swift cannot import: CMSG_* macros, SCM_CREDENTIALS, posix_spawn
        // attributes, hardware CRC32C.
        .target(name: "CHandoff"),
        // The system layer (no product): the one syscall seam, the epoll reactor, signals, child
        // processes, CRC32C, socket endpoints, the error type and the small concurrency helpers.
        // The only Swift module that imports Glibc.
        .target(
            name: "HandoffSystem",
            dependencies: ["CHandoff"],
            swiftSettings: swiftSettings
        ),
        // The core: descriptors, wire, upgrade, state, stores, systemd notify.
        .target(
            name: "Handoff",
            dependencies: ["HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        // The process framework on the core; UpgraderService is its one bridge to the upgrader.
        .target(
            name: "HandoffServices",
            dependencies: ["Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        // Operations on the framework: admin endpoint, metrics exposition, options, control socket.
        .target(
            name: "HandoffOperations",
            dependencies: ["HandoffServices", "Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        // The etcd-backed HandoffStore. A module of its own because it needs URLSession: linking
        // FoundationNetworking (and with it Foundation, ICU and libcurl) adds about 10 ms to
        // every process start, which a program that does not use etcd should not pay.
        .target(
            name: "HandoffEtcd",
            dependencies: ["Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        // Checks users run in their own tests: store conformance, HandoffAware round trips and
        // migrations, a handover in one process. On the core only.
        .target(
            name: "HandoffTesting",
            dependencies: ["Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HandoffDemo",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd", "CHandoff"],
            swiftSettings: swiftSettings
        ),
        // The operator's command: upgrade, status, inspect, offers (Sources/HandoffCtl).
        .executableTarget(
            name: "HandoffCtl",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd"],
            swiftSettings: swiftSettings
        ),
        // PID 1 in front of a Handoff program in a container (Sources/HandoffKeeper): the same
        // loop as the keeper an Upgrader becomes by itself as PID 1.
        .executableTarget(
            name: "HandoffKeeper",
            dependencies: ["Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
        // A program the tests spawn as parent and child of real upgrades; its behaviour is
        // scripted through its environment and a plan file (see Fixtures/HandoffFixture).
        .executableTarget(
            name: "handoff-fixture",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem"],
            path: "Fixtures/HandoffFixture",
            swiftSettings: swiftSettings
        ),
        // Claims from a DirectoryStore or an EtcdStore in its own process, for the tests of
        // concurrent and crashed claimers.
        .executableTarget(
            name: "handoff-store-fixture",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd"],
            path: "Fixtures/StoreFixture",
            swiftSettings: swiftSettings
        ),
        // Runs its services under a ServiceRunner with the admin endpoint, for the tests of stop
        // signals, /ready during an upgrade's drain, and metrics across upgrades.
        .executableTarget(
            name: "handoff-runner-fixture",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem"],
            path: "Fixtures/RunnerFixture",
            swiftSettings: swiftSettings
        ),
        // Holds a mailbox of jobs (pending and unacknowledged) across a real upgrade, for the
        // test that none is lost or duplicated.
        .executableTarget(
            name: "handoff-mailbox-fixture",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem"],
            path: "Fixtures/MailboxFixture",
            swiftSettings: swiftSettings
        ),
        // Drives the upgrade benchmarks (Scripts/bench): sends SIGHUP, times READY and exit.
        .executableTarget(
            name: "handoff-bench",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd", "CHandoff"],
            path: "Scripts/bench/HandoffBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HandoffTests",
            dependencies: ["Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd", "HandoffTesting", "CHandoff"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HandoffTestingTests",
            dependencies: ["HandoffTesting", "Handoff", "HandoffSystem"],
            swiftSettings: swiftSettings
        ),
    ]
)
