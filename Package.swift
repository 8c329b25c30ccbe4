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
        // Test support: helpers shared by the test targets, one target per layer they need, so
        // a layer's tests link nothing above it. Built for the tests only: every file is inside
        // `#if DEBUG` (tests build debug, where every module is testable and Swift Testing is
        // found), so a release build of the package compiles these targets empty.
        // Processes, sockets, fixtures' files, deadlines, the off-the-cooperative-pool trait.
        .target(
            name: "HandoffTestSupport",
            dependencies: ["HandoffSystem", "CHandoff"],
            path: "Tests/HandoffTestSupport",
            swiftSettings: swiftSettings
        ),
        // Envelopes, sample state and the store scenarios the core's and etcd's tests share.
        .target(
            name: "HandoffCoreTestSupport",
            dependencies: ["Handoff", "HandoffSystem", "HandoffTestSupport"],
            path: "Tests/HandoffCoreTestSupport",
            swiftSettings: swiftSettings
        ),
        // Scripted services and the runner configuration for the framework's tests.
        .target(
            name: "HandoffServicesTestSupport",
            dependencies: ["HandoffServices", "Handoff", "HandoffSystem", "HandoffTestSupport"],
            path: "Tests/HandoffServicesTestSupport",
            swiftSettings: swiftSettings
        ),
        // A real etcd for the tests (installed from Debian's etcd-server if missing).
        .target(
            name: "HandoffEtcdTestSupport",
            dependencies: ["HandoffEtcd", "Handoff", "HandoffSystem", "HandoffTestSupport"],
            path: "Tests/HandoffEtcdTestSupport",
            swiftSettings: swiftSettings
        ),
        // One test target per module. The system layer: the seam, checksums, socket endpoints.
        .testTarget(
            name: "HandoffSystemTests",
            dependencies: ["HandoffSystem", "HandoffTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The core, without the process framework: descriptors, wire, upgrade, state, stores,
        // systemd, keeper messages, connections.
        .testTarget(
            name: "HandoffTests",
            dependencies: ["Handoff", "HandoffSystem", "CHandoff", "HandoffTestSupport", "HandoffCoreTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The process framework: lifecycle, supervision, mailbox, health, logging.
        .testTarget(
            name: "HandoffServicesTests",
            dependencies: ["HandoffServices", "Handoff", "HandoffSystem", "HandoffTestSupport", "HandoffServicesTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Operations: the admin endpoint, the HTTP engine, control, options, metrics.
        .testTarget(
            name: "HandoffOperationsTests",
            dependencies: ["HandoffOperations", "HandoffServices", "Handoff", "HandoffSystem", "HandoffTestSupport", "HandoffServicesTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The etcd store against a real etcd, TLS included.
        .testTarget(
            name: "HandoffEtcdTests",
            dependencies: ["HandoffEtcd", "Handoff", "HandoffSystem", "HandoffTesting", "HandoffTestSupport", "HandoffCoreTestSupport", "HandoffEtcdTestSupport"],
            swiftSettings: swiftSettings
        ),
        // End to end: the built programs and fixtures driven as real processes (upgrades,
        // rolling deploys, the fault sweep, hostile peers, the keeper, handoffctl), and the fuzz
        // corpora replayed through every layer's parsers.
        .testTarget(
            name: "HandoffIntegrationTests",
            dependencies: [
                "Handoff", "HandoffServices", "HandoffOperations", "HandoffSystem", "HandoffEtcd", "CHandoff",
                "HandoffTestSupport", "HandoffCoreTestSupport", "HandoffEtcdTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HandoffTestingTests",
            dependencies: ["HandoffTesting", "Handoff", "HandoffSystem", "HandoffTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
