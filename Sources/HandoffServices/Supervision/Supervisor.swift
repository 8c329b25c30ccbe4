import Synchronization
import Handoff
import HandoffSystem

/// Runs child tasks and starts them again when they end, by policy, strategy, intensity and
/// backoff — Erlang/OTP's supervisor, for Swift tasks.
///
/// ```swift
/// let jobs = try Mailbox<Job>(name: "jobs", capacity: 10_000)
/// var configuration = SupervisorConfiguration(strategy: .restForOne)
/// configuration.intensity = RestartIntensity(maxRestarts: 10, within: .seconds(1))
/// let pipeline = try Supervisor(name: "pipeline", configuration: configuration, children: [
///     ChildSpec("persist") { try await persisted.process { try await store.append($0.message) } },
///     ChildSpec("transform") { try await jobs.process { try await persisted.send(transform($0.message)) } },
/// ])
/// let runner = ServiceRunner(services: [UpgraderService(upgrader), pipeline, httpServer])
/// ```
///
/// Each ``ChildSpec`` is a factory: every start calls its `run` anew, as a task of the
/// supervisor with its own ``StopSignal`` and a ``RunnerContext`` named `supervisor/child`.
///
/// - **Policy** (``RestartPolicy``): whether a child that ended on its own starts again —
///   always, only after a failure, or never.
/// - **Strategy** (``SupervisionStrategy``): which children restart with it — itself
///   (one-for-one), all (one-for-all), or itself and those started after it (rest-for-one).
///   Those are stopped gracefully in reverse start order, each cancelled at its stop deadline,
///   and then all start again in order.
/// - **Intensity** (``RestartIntensity``): more than N restarts within T and the supervisor
///   stops every child and throws ``HandoffError/Code/restartIntensityExceeded``. Under a
///   parent supervisor (``ChildSpec/supervisor(_:restart:)``) that is a failure of one child,
///   handled by the parent's policy; under a ``ServiceRunner`` it is fatal.
/// - **Backoff** (``Backoff``): the delay before each restart, exponential, capped, jittered.
///
/// The supervisor is a ``ManagedService``: ``run()`` runs until a graceful stop (its
/// ``StopSignal``, or ``stop()``) has stopped every child in reverse order, or until
/// cancellation has cancelled them all. Child failures go to the runner as transient failures
/// and to the metrics (`handoff_supervisor_restarts_total`,
/// `handoff_supervisor_failures_total`, labelled by supervisor); ``stats`` and
/// ``statsUpdates()`` show them too. ``run()`` may be called again once it returned — a parent
/// restarting its child supervisor does — starting from the current list of children.
public final class Supervisor: ManagedService {
    private struct Members {
        var specs: [ChildSpec]
        var current: SupervisorRun?
    }

    /// The supervisor's name: in its children's context names, errors and metrics.
    public let name: String
    /// How it restarts its children.
    public let configuration: SupervisorConfiguration
    private let members: Mutex<Members>
    let watch: StatsWatch<SupervisorStats>

    /// Creates a supervisor of `children`, which start in order when ``run()`` is called.
    /// - Parameters:
    ///   - name: Its name.
    ///   - configuration: Strategy, intensity, backoff, stop deadline.
    ///   - children: The children, in start order; names must be unique.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for a configuration out of range or two
    ///   children of one name.
    public init(name: String = "supervisor", configuration: SupervisorConfiguration = .init(), children: [ChildSpec] = []) throws(HandoffError) {
        try configuration.validate()
        var seen: Set<String> = []
        for child in children where !seen.insert(child.name).inserted {
            throw HandoffError(.invalidArgument, "supervisor \(name): two children are named \(child.name.debugDescription)")
        }
        self.name = name
        self.configuration = configuration
        self.members = Mutex(Members(specs: children))
        self.watch = StatsWatch(SupervisorStats(supervisor: name, children: 0, running: 0, restarts: 0, failures: 0))
    }

    /// Starts the children in order and supervises them until stopped.
    /// - Throws: ``HandoffError/Code/restartIntensityExceeded`` once the children needed too
    ///   many restarts (after every child has stopped); ``HandoffError/Code/invalidArgument`` if
    ///   the supervisor is running already.
    public func run() async throws {
        let parent = RunnerContext.current
        let stopSignal = StopSignal.current
        let (run, specs) = try members.withLock { members throws(HandoffError) -> (SupervisorRun, [ChildSpec]) in
            guard members.current == nil else { throw HandoffError(.invalidArgument, "supervisor \(name) is running already") }
            let machine = SupervisorStateMachine(name: name, configuration: configuration, stats: watch.value)
            let run = SupervisorRun(name: name, parent: parent, machine: machine, watch: watch)
            members.current = run
            return (run, members.specs)
        }
        defer {
            members.withLock { $0.current = nil }
            watch.finishSubscribers()
        }
        let token = stopSignal?.onTrigger { run.mailbox.post(.stopRequested) }
        defer { if let token { stopSignal?.removeHandler(token) } }
        let failure = await withTaskCancellationHandler {
            await run.run(specs)
        } onCancel: {
            run.mailbox.post(.cancelRequested)
        }
        if let failure { throw failure }
    }

    /// Stops every child gracefully, in reverse order, and ends the current ``run()``.
    /// Idempotent; callable from anywhere.
    public func stop() {
        members.withLock { $0.current }?.mailbox.post(.stopRequested)
    }

    /// Adds a child after the others, and starts it if the supervisor is running. It stays on
    /// the list for later runs.
    /// - Parameter spec: The child.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if a child of that name exists.
    public func startChild(_ spec: ChildSpec) throws(HandoffError) {
        let run = try members.withLock { members throws(HandoffError) -> SupervisorRun? in
            guard !members.specs.contains(where: { $0.name == spec.name }) else {
                throw HandoffError(.invalidArgument, "supervisor \(name) already has a child named \(spec.name.debugDescription)")
            }
            members.specs.append(spec)
            return members.current
        }
        run?.mailbox.post(.add(spec))
    }

    /// Stops a child gracefully (cancelled at its deadline) and takes it off the list; it is
    /// not restarted.
    /// - Parameter child: The child's name.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if there is no child of that name.
    public func stopChild(named child: String) throws(HandoffError) {
        let run = try members.withLock { members throws(HandoffError) -> SupervisorRun? in
            guard let index = members.specs.firstIndex(where: { $0.name == child }) else {
                throw HandoffError(.invalidArgument, "supervisor \(name) has no child named \(child.debugDescription)")
            }
            members.specs.remove(at: index)
            return members.current
        }
        run?.mailbox.post(.remove(child))
    }

    /// The children's names, in start order.
    public var childNames: [String] { members.withLock { $0.specs.map(\.name) } }

    /// Whether ``run()`` is in progress.
    public var isRunning: Bool { members.withLock { $0.current != nil } }

    /// The counts now.
    public var stats: SupervisorStats { watch.value }

    /// The counts now, then at every change: children started, stopped, restarted, failed.
    ///
    /// A watcher that reads slowly sees the newest snapshot, not every one. The stream ends when
    /// the current (or next) ``run()`` returns.
    /// - Returns: The snapshots.
    public func statsUpdates() -> AsyncStream<SupervisorStats> { watch.subscribe() }
}
