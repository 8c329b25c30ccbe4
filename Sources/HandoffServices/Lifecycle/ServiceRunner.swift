import Synchronization
import HandoffSystem

/// Runs a process's services: starts them in order, each gated on its readiness check, and
/// stops them in reverse order, each asked gracefully first and cancelled at its deadline.
///
/// ```swift
/// let runner = ServiceRunner(services: [database, cache, UpgraderService(upgrader), httpServer])
/// try await runner.run()   // SIGTERM/SIGINT stop it; SIGHUP upgrades through the upgrader
/// ```
///
/// ``run()`` is the runner's whole life. It returns once every service has stopped: after
/// ``stop()`` or a stop signal, after a service returned on its own (an upgrader whose process
/// was replaced does), or after a fatal error, which it then rethrows. A second stop signal, or
/// ``cancel()``, cancels every service still running at once. Cancelling the task running
/// ``run()`` cancels every service too.
///
/// Inside a service, ``StopSignal`` and ``RunnerContext`` reach the runner through task-locals.
/// Transient errors (``RunnerContext/reportTransient(_:)-type.method``) come out of ``failures()``; state
/// changes out of ``stateChanges()``; health goes to ``health``; counters to ``metrics``.
public final class ServiceRunner: Sendable {
    /// The configuration in force.
    public let configuration: RunnerConfiguration
    /// The services' health, pushed and polled.
    public let health: HealthMonitor
    /// The process's metrics, which the admin endpoint serves.
    public let metrics: MetricsRegistry
    let services: [any ManagedService]
    let machine: Mutex<RunnerStateMachine>
    let mailbox = RunnerMailbox<RunnerEvent>()
    let instances: Mutex<[Int: ServiceInstance]> = Mutex([:])
    let allRunning = AsyncLatch<Void>()
    let failureBroadcast = EventBroadcast<ServiceFailure>()
    let changeBroadcast = EventBroadcast<ServiceStateChange>()
    private let started = Mutex(false)
    private let signals: TrappedSignals?
    var stopSignalStream: AsyncStream<Int32>? { signals?.stream }

    /// Creates a runner for `services`, in start order.
    ///
    /// The stop signals (``RunnerConfiguration/stopSignals``) are trapped right away, so one
    /// that arrives before ``run()`` stops it as soon as it starts instead of killing the process.
    /// - Parameters:
    ///   - services: The services, in the order they start; they stop in reverse.
    ///   - configuration: Deadlines, health polling, signals, logging.
    ///   - metrics: Where counters go (a fresh registry by default).
    public init(services: [any ManagedService], configuration: RunnerConfiguration = .init(), metrics: MetricsRegistry = MetricsRegistry()) {
        self.services = services
        self.configuration = configuration
        self.metrics = metrics
        self.health = HealthMonitor()
        self.machine = Mutex(RunnerStateMachine(count: services.count))
        self.signals = configuration.stopSignals.isEmpty ? nil : TrappedSignals(configuration.stopSignals)
    }

    /// Starts every service in order, then runs until they have all stopped.
    /// - Throws: The first fatal error, as a ``HandoffError`` (``HandoffError/Code/serviceFailed``,
    ///   ``HandoffError/Code/serviceNotReady``, ``HandoffError/Code/serviceInitializeTimedOut``, or
    ///   ``HandoffError/Code/serviceStuck`` for one abandoned after its grace period) naming the
    ///   service, after every service has stopped or been abandoned; ``HandoffError/Code/invalidArgument`` if the runner already ran.
    public func run() async throws {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { throw HandoffError(.invalidArgument, "this ServiceRunner already ran") }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                addBackgroundTasks(to: &group)
                var actions = machine.withLock { $0.start() }
                while await !perform(actions, in: &group) {
                    let event = await mailbox.next()
                    actions = machine.withLock { $0.handle(event) }
                }
                group.cancelAll()
            }
        } onCancel: {
            mailbox.post(.cancelRequested(reason: "the runner's task was cancelled"))
        }
        // A drain or resume asked for from now on is answered at once: nothing runs any more.
        mailbox.close { event in
            switch event {
            case .drain(_, _, _, let waiter): waiter.resume(throwing: HandoffError(.drainFailed, "the services have stopped"))
            case .resume(_, let waiter): waiter.resume()
            default: break
            }
        }
        health.finish()
        failureBroadcast.finish()
        changeBroadcast.finish()
        if let error = machine.withLock({ $0.firstFatalError }) { throw error }
    }

    /// Stops every service gracefully, in reverse order. Idempotent; callable from anywhere.
    public func stop() {
        mailbox.post(.stopRequested(reason: "stop() was called"))
    }

    /// Cancels every service still running ("abort now"), still waiting for each in reverse
    /// order. Callable from anywhere.
    public func cancel() {
        mailbox.post(.cancelRequested(reason: "cancel() was called"))
    }

    /// Errors the services report from now on: transient ones as they are reported, fatal ones
    /// as they stop the runner.
    /// - Returns: A stream that ends when ``run()`` returns.
    public func failures() -> AsyncStream<ServiceFailure> { failureBroadcast.subscribe() }

    /// Every state change of every service from now on.
    /// - Returns: A stream that ends when ``run()`` returns.
    public func stateChanges() -> AsyncStream<ServiceStateChange> { changeBroadcast.subscribe() }

    /// Each service's name, state and health, in start order.
    public var snapshot: [ServiceSnapshot] {
        let slots = machine.withLock { $0.slots }
        let health = self.health.all
        return services.indices.map { index in
            let name = services[index].name
            return ServiceSnapshot(name: name, state: slots[index].state, health: health[name] ?? .healthy)
        }
    }

    /// Whether every service is running and ready, and no drain or stop is under way.
    public var isReady: Bool { machine.withLock { $0.isReady } }

    /// Why the runner is not ready, or `nil` if it is.
    public var notReadyReason: String? {
        let (phase, slots) = machine.withLock { ($0.phase, $0.slots) }
        switch phase {
        case .running:
            guard let index = slots.indices.first(where: { slots[$0].state != .running }) else { return nil }
            return "\(services[index].name) is \(slots[index].state)"
        case .draining, .drained:
            let purpose = machine.withLock { $0.purpose }
            return purpose.isEmpty ? "draining" : "draining \(purpose)"
        case .idle, .starting, .stopping, .finished:
            return phase.rawValue
        }
    }
}
