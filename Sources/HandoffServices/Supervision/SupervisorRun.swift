import Synchronization
import Handoff
import HandoffSystem

/// One ``Supervisor/run()``: the coordinator's mailbox, the state machine, and the children's
/// tasks and timers, all inside one task group.
final class SupervisorRun: Sendable {
    let name: String
    let parent: RunnerContext?
    let mailbox = RunnerMailbox<SupervisorEvent>()
    private let machine: Mutex<SupervisorStateMachine>
    private let instances = Mutex<[Int: ServiceInstance]>([:])
    private let watch: StatsWatch<SupervisorStats>

    init(name: String, parent: RunnerContext?, machine: SupervisorStateMachine, watch: StatsWatch<SupervisorStats>) {
        self.name = name
        self.parent = parent
        self.machine = Mutex(machine)
        self.watch = watch
    }

    /// Runs until every child has stopped; returns the escalation, if any.
    func run(_ specs: [ChildSpec]) async -> (any Error)? {
        await withDiscardingTaskGroup(returning: (any Error)?.self) { group in
            var actions = machine.withLock { $0.start(specs) }
            publish()
            while true {
                if case .some(let outcome) = perform(actions, in: &group) {
                    group.cancelAll()
                    return outcome
                }
                let event = await mailbox.next()
                actions = machine.withLock { $0.handle(event, now: .now) }
                publish()
            }
        }
    }

    private func publish() {
        let stats = machine.withLock { $0.stats }
        if stats.differs(from: watch.value) { watch.publish(stats) }
    }

    /// Performs `actions`; returns `.some(escalation)` once the run is over.
    private func perform(_ actions: [SupervisorAction], in group: inout DiscardingTaskGroup) -> (any Error)?? {
        var outcome: (any Error)?? = .none
        for action in actions {
            switch action {
            case .start(let child, let epoch, let spec):
                launch(child, epoch: epoch, spec, in: &group)
            case .stop(let child, let epoch, let deadline):
                guard let instance = instance(child, epoch: epoch) else { break }
                instance.stopSignal.trigger()
                let mailbox = self.mailbox
                group.addTask(operation: ChildDriver.stopDeadline(instance, at: .now + deadline) {
                    mailbox.post(.stopDeadline(child: child, epoch: epoch))
                })
            case .abort(let child, let epoch):
                instance(child, epoch: epoch)?.abort.fulfill(())
            case .scheduleRestart(let child, let epoch, let delay):
                let mailbox = self.mailbox
                group.addTask {
                    try? await Task.sleep(for: delay)
                    if !Task.isCancelled { mailbox.post(.restartDue(child: child, epoch: epoch)) }
                }
            case .scheduleGroupRestart(let token, let delay):
                let mailbox = self.mailbox
                group.addTask {
                    try? await Task.sleep(for: delay)
                    if !Task.isCancelled { mailbox.post(.groupRestartDue(token: token)) }
                }
            case .failed(let child, let error):
                parent?.sink(ServiceFailure(service: "\(prefix)/\(child)", severity: .transient, error: error))
                parent?.runner?.metrics.counter("handoff_supervisor_failures_total", help: "Supervised children that failed.")
                    .increment(labels: ["supervisor": name])
            case .restarted:
                parent?.runner?.metrics.counter("handoff_supervisor_restarts_total", help: "Restarts of supervised children.")
                    .increment(labels: ["supervisor": name])
            case .finish(let escalation):
                outcome = .some(escalation)
            }
        }
        return outcome
    }

    /// The children's context names start with this.
    private var prefix: String { parent?.name ?? name }

    private func instance(_ child: Int, epoch: Int) -> ServiceInstance? {
        instances.withLock { $0[child] }.flatMap { $0.epoch == epoch ? $0 : nil }
    }

    private func launch(_ child: Int, epoch: Int, _ spec: ChildSpec, in group: inout DiscardingTaskGroup) {
        let instance = ServiceInstance(epoch: epoch)
        instances.withLock { $0[child] = instance }
        let sink: @Sendable (ServiceFailure) -> Void
        if let parent { sink = parent.sink } else { sink = { _ in } }
        let context = RunnerContext(
            name: "\(prefix)/\(spec.name)", service: parent?.service ?? name, stopSignal: instance.stopSignal,
            runner: parent?.runner, index: parent?.index ?? -1, sink: sink)
        let mailbox = self.mailbox
        group.addTask(operation: ChildDriver.run(instance, context: context, spec.run) { failure in
            mailbox.post(.exited(child: child, epoch: epoch, error: failure))
        })
    }
}
