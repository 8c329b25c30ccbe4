import Synchronization
import Handoff
import HandoffSystem

/// A group of identical workers under a one-for-one ``Supervisor``: each is restarted on its
/// own, the group scales up and down while it runs, and it can live exactly as long as an async
/// operation.
///
/// ```swift
/// let workers = try WorkerGroup(name: "transform", count: 4) { index in
///     try await jobs.process { delivery in try await transform(delivery.message) }
/// }
/// // As a service of a runner, or a child of a supervisor (``ChildSpec``):
/// let runner = ServiceRunner(services: [UpgraderService(upgrader), workers, httpServer])
/// try workers.scale(to: 8)
///
/// // Or for the length of one operation: the workers stop when it returns.
/// let report = try await workers.scoped { try await importFile(into: jobs) }
/// ```
///
/// Worker `i` is the child `name-i`; scaling down stops the highest-numbered ones gracefully.
/// ``stats`` and ``statsUpdates()`` report running workers, restarts, failures and the last
/// error.
public final class WorkerGroup: ManagedService {
    /// The group's name; its workers are `name-0`, `name-1`, ….
    public let name: String
    /// The supervisor the workers are children of.
    public let supervisor: Supervisor
    private let restart: RestartPolicy
    private let worker: @Sendable (Int) async throws -> Void
    private let size: Mutex<Int>

    /// Creates a group of `count` workers; they start when the group runs.
    /// - Parameters:
    ///   - name: The group's name.
    ///   - count: How many workers, 0 or more.
    ///   - restart: When a worker that ended starts again (default ``RestartPolicy/always``).
    ///   - configuration: Intensity, backoff and stop deadline; the strategy is always
    ///     ``SupervisionStrategy/oneForOne``.
    ///   - worker: One life of worker number `index`; called anew at every restart.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for a negative count or a configuration
    ///   out of range.
    public init(name: String = "workers", count: Int, restart: RestartPolicy = .always, configuration: SupervisorConfiguration = .init(), worker: @escaping @Sendable (_ index: Int) async throws -> Void) throws(HandoffError) {
        guard count >= 0 else { throw HandoffError(.invalidArgument, "worker group \(name): count must not be negative, not \(count)") }
        var configuration = configuration
        configuration.strategy = .oneForOne
        self.name = name
        self.restart = restart
        self.worker = worker
        self.size = Mutex(count)
        supervisor = try Supervisor(name: name, configuration: configuration, children: (0..<count).map { index in
            ChildSpec("\(name)-\(index)", restart: restart) { try await worker(index) }
        })
    }

    /// Runs the workers until the group is stopped (its ``StopSignal``, or ``stop()``).
    /// - Throws: ``HandoffError/Code/restartIntensityExceeded`` once the workers needed too
    ///   many restarts.
    public func run() async throws { try await supervisor.run() }

    /// Stops every worker gracefully and ends ``run()``.
    public func stop() { supervisor.stop() }

    /// How many workers the group has (or will have, once it runs).
    public var count: Int { size.withLock { $0 } }

    /// Adds workers, or stops the highest-numbered ones gracefully, until there are `count`.
    /// Works whether or not the group is running.
    /// - Parameter count: How many workers, 0 or more.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for a negative count.
    public func scale(to count: Int) throws(HandoffError) {
        guard count >= 0 else { throw HandoffError(.invalidArgument, "worker group \(name): count must not be negative, not \(count)") }
        try size.withLock { size throws(HandoffError) in
            while size < count {
                let index = size
                try supervisor.startChild(ChildSpec("\(name)-\(index)", restart: restart) { [worker] in try await worker(index) })
                size += 1
            }
            while size > count {
                size -= 1
                try supervisor.stopChild(named: "\(name)-\(size)")
            }
        }
    }

    /// Runs the workers for as long as `operation` runs: once it returns (or throws), they are
    /// stopped gracefully and not restarted.
    /// - Parameter operation: The work the workers serve.
    /// - Returns: What `operation` returns, once every worker has stopped.
    /// - Throws: What `operation` throws; ``HandoffError/Code/restartIntensityExceeded`` if the
    ///   workers fail too often meanwhile (`operation` is cancelled then).
    public func scoped<Result: Sendable>(_ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let signal = StopSignal()
        // `nil`: the workers ended; `[value]`: the operation returned.
        return try await withThrowingTaskGroup(of: [Result]?.self) { group in
            group.addTask {
                try await StopSignal.$current.withValue(signal) { try await self.supervisor.run() }
                return nil
            }
            group.addTask { [try await operation()] }
            var result: Result?
            do {
                while let outcome = try await group.next() {
                    if let value = outcome?.first {
                        result = value
                        signal.trigger()
                    }
                }
            } catch {
                signal.trigger()
                throw error
            }
            guard let result else { throw CancellationError() }
            return result
        }
    }

    /// The counts now.
    public var stats: SupervisorStats { supervisor.stats }

    /// The counts now, then at every change (see ``Supervisor/statsUpdates()``).
    /// - Returns: The snapshots.
    public func statsUpdates() -> AsyncStream<SupervisorStats> { supervisor.statsUpdates() }
}
