import Handoff
import HandoffSystem
/// The ``Upgrader`` as a service of a ``ServiceRunner``: SIGHUP upgrades the process, and the
/// upgrade's drain is the runner's ordered stop of the services listed after this one.
///
/// Put it after the services whose state is handed over and before the ones that serve
/// traffic:
///
/// ```swift
/// let runner = ServiceRunner(services: [admin, sessions, UpgraderService(upgrader), httpServer])
/// ```
///
/// Once every service is running it calls ``Upgrader/ready()`` (a successor then tells its
/// predecessor `READY`) and ``Upgrader/run(participant:)``. On an upgrade, the services after
/// it are drained in reverse order: an ``UpgradeParticipant`` through its
/// ``UpgradeParticipant/drain()`` (its connections go to the successor), any other service by a
/// graceful stop. If the upgrade fails, the participants get their connections back and the
/// stopped services start again, in order, on the same inherited sockets. Once the successor
/// has taken over, this service returns, which stops the runner: the process should exit.
///
/// It registers the runner's ``MetricsRegistry`` as handoff state, so counters carry on across
/// upgrades, and counts upgrades, failures by reason and bytes handed over.
public struct UpgraderService: ManagedService {
    /// The upgrader.
    public let upgrader: Upgrader
    public let name: String
    private let onReady: @Sendable () async -> Void

    /// Wraps `upgrader`.
    /// - Parameters:
    ///   - upgrader: The process's upgrader.
    ///   - name: The service's name (default `upgrader`).
    ///   - onReady: Called once ``Upgrader/ready()`` succeeded (the PID file is written, or the
    ///     predecessor told).
    public init(_ upgrader: Upgrader, name: String = "upgrader", onReady: @escaping @Sendable () async -> Void = {}) {
        self.upgrader = upgrader
        self.name = name
        self.onReady = onReady
    }

    /// Registers the upgrade metrics before the services after this one start, so that a scrape
    /// of `/metrics` never sees the process without them.
    public func initialize() async throws {
        guard let runner = RunnerContext.current?.runner else { return }  // `run()` says why
        _ = UpgradeMetrics(registry: runner.metrics, generation: upgrader.generation)
    }

    /// Readies the upgrader once every service runs, then upgrades on SIGHUP until replaced.
    /// - Throws: ``HandoffError/Code/invalidArgument`` outside a ``ServiceRunner``; what
    ///   ``Upgrader/ready()`` or ``Upgrader/run(participant:)`` throw.
    public func run() async throws {
        guard let context = RunnerContext.current, let runner = context.runner else {
            throw HandoffError(.invalidArgument, "UpgraderService runs inside a ServiceRunner")
        }
        let metrics = UpgradeMetrics(registry: runner.metrics, generation: upgrader.generation)  // the same families
        do {
            try upgrader.state.register(runner.metrics)
        } catch let error as HandoffError where error.code == .duplicateRegistration {
            // Registered by an earlier run of this service.
        }
        let events = upgrader.events()
        let changes = upgrader.systemd == nil ? nil : runner.stateChanges()
        let participant = RunnerUpgradeParticipant(runner: runner, boundary: context.index)
        do {
            try await StopSignal.cancellingOnStop { [upgrader, onReady] in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { metrics.record(event) }
                    }
                    if let changes, let systemd = upgrader.systemd {
                        // STOPPING=1 as soon as the runner's stop begins, not when it reaches us.
                        group.addTask {
                            for await _ in changes where runner.isStopping {
                                systemd.stopping()
                                break
                            }
                        }
                    }
                    try await context.waitUntilAllRunning()
                    try await upgrader.ready()
                    await onReady()
                    try await upgrader.run(participant: participant)
                    group.cancelAll()
                }
            }
        } catch is CancellationError where StopSignal.isRequested {
            // Stopped gracefully: nothing was in flight that the stop did not account for.
            if !upgrader.isReplaced { upgrader.systemd?.stopping() }
        }
    }
}
