import Handoff
import HandoffSystem
/// The ``ServiceRunner``'s decisions: which service starts, stops, drains or is cancelled next.
///
/// Mutating methods take an event and return the actions to perform; the runner performs them
/// outside the lock. Services start one at a time in list order, each after the previous one's
/// readiness check passed, and stop one at a time in reverse order. An upgrade's drain stops
/// (or drains, for an ``UpgradeParticipant``) the services after the upgrader in reverse order;
/// a rollback resumes the drained ones and starts the stopped ones again in order.
struct RunnerStateMachine: Sendable {
    enum Phase: String, Sendable {
        case idle, starting, running, draining, drained, stopping, finished
    }

    struct Slot: Sendable {
        var state = ServiceState.stopped
        var epoch = 0
        /// Its task is running.
        var alive = false
        let isParticipant: Bool
    }

    private(set) var slots: [Slot]
    private(set) var phase = Phase.idle
    /// The service being started, stopped or drained.
    private var cursor = 0
    private var escalated = false
    private var stopDeferred = false
    private(set) var firstFatalError: (any Error)?
    private var boundary = -1
    private var drainWaiter: CheckedContinuation<[HandoffConnection], any Error>?
    private var drainedConnections: [Int: [HandoffConnection]] = [:]
    private var resumeWaiter: CheckedContinuation<Void, Never>?
    private var resumeRequested = false

    init(participants: [Bool]) {
        slots = participants.map { Slot(isParticipant: $0) }
    }

    /// Whether every service is running and no drain or stop is under way.
    var isReady: Bool { phase == .running && slots.allSatisfy { $0.state == .running } }

    func isStarting(_ index: Int, epoch: Int) -> Bool {
        slots[index].epoch == epoch && slots[index].state == .starting
    }

    mutating func start() -> [RunnerAction] {
        guard !slots.isEmpty else {
            phase = .finished
            return [.allRunning, .finish]
        }
        phase = .starting
        return launch(0)
    }

    mutating func handle(_ event: RunnerEvent) -> [RunnerAction] {
        switch event {
        case .initialized(let index, let epoch):
            guard slots[index].epoch == epoch, slots[index].state == .initiating else { return [] }
            return set(index, .initiated) + set(index, .starting) + [.pollReadiness(index, epoch: epoch)]
        case .ready(let index, let epoch):
            guard isStarting(index, epoch: epoch) else { return [] }
            return set(index, .running) + startNext(after: index)
        case .notReady(let index, let epoch, let error):
            guard isStarting(index, epoch: epoch) else { return [] }
            return fail(index, error)
        case .finished(let index, let epoch, let error):
            return finished(index, epoch: epoch, error: error)
        case .stopDeadline(let index, let epoch):
            guard slots[index].epoch == epoch, slots[index].alive, slots[index].state == .shuttingDown else { return [] }
            return [.log(.warn, "did not stop within its deadline; cancelling", service: index), .cancel(index, epoch: epoch)]
        case .initializeDeadline(let index, let epoch, let error):
            guard slots[index].epoch == epoch, slots[index].alive, slots[index].state == .initiating else { return [] }
            return [.cancel(index, epoch: epoch)] + fail(index, error)
        case .stuck(let index, let epoch, let error):
            return stuck(index, epoch: epoch, error: error)
        case .stopRequested(let reason):
            return beginStop(reason: reason, escalate: false, force: false)
        case .cancelRequested(let reason):
            return beginStop(reason: reason, escalate: true, force: true)
        case .drain(let boundary, let waiter):
            return drain(after: boundary, waiter: waiter)
        case .drainCancelled:
            guard let waiter = drainWaiter else { return [] }
            drainWaiter = nil
            return [.completeDrain(waiter, .failure(HandoffError(.drainFailed, "the drain was cancelled")))]
        case .participantDrained(let index, let epoch, let result):
            guard phase == .draining, cursor == index, slots[index].epoch == epoch else { return [] }
            switch result {
            case .success(let connections):
                drainedConnections[index] = connections
                return continueDrain(below: index)
            case .failure(let error):
                phase = .drained
                let failure = HandoffError(.drainFailed, "a service failed to drain: \(error)")
                return completeDrain(.failure(failure)) + (resumeRequested ? resume() : [])
            }
        case .resume(let waiter):
            resumeWaiter = waiter
            switch phase {
            case .draining:
                resumeRequested = true
                return []
            case .drained:
                return resume()
            case .stopping, .finished:
                return handBack() + takeResumeWaiter()
            case .idle, .starting, .running:
                return takeResumeWaiter()
            }
        }
    }

    // MARK: Starting

    private mutating func launch(_ index: Int) -> [RunnerAction] {
        cursor = index
        slots[index].epoch += 1
        slots[index].alive = true
        return set(index, .initiating) + [.launch(index, epoch: slots[index].epoch)]
    }

    /// Starts the next service that is not running; once none is left, the runner is running.
    private mutating func startNext(after index: Int) -> [RunnerAction] {
        guard phase == .starting else { return [] }
        if let next = slots.indices.first(where: { $0 > index && !slots[$0].alive && slots[$0].state != .stuck }) {
            return launch(next)
        }
        phase = .running
        var actions: [RunnerAction] = [.allRunning]
        actions += takeResumeWaiter()
        if stopDeferred {
            actions += beginStop(reason: "a stop was requested during the upgrade", escalate: false, force: true)
        }
        return actions
    }

    // MARK: Failures and stopping

    private mutating func fail(_ index: Int, _ error: any Error) -> [RunnerAction] {
        var actions: [RunnerAction] = [.fatal(index, error)]
        if firstFatalError == nil { firstFatalError = error }
        actions += beginStop(reason: "a service failed", escalate: false, force: true)
        return actions
    }

    private mutating func finished(_ index: Int, epoch: Int, error: (any Error)?) -> [RunnerAction] {
        guard slots[index].epoch == epoch, slots[index].alive else { return [] }
        let askedToStop = slots[index].state == .shuttingDown
        slots[index].alive = false
        var actions = set(index, .stopped)
        if !askedToStop {
            if let error, !(error is CancellationError && escalated) {
                if phase == .stopping || phase == .finished {
                    actions.append(.log(.error, "failed while others stopped: \(error)", service: index))
                } else {
                    return actions + fail(index, error)
                }
            } else if phase != .stopping && phase != .finished {
                actions.append(.log(.info, "returned before it was asked to stop; stopping every service", service: index))
                return actions + beginStop(reason: "a service returned", escalate: false, force: true)
            }
        } else if let error, !(error is CancellationError) {
            actions.append(.log(.warn, "failed while stopping: \(error)", service: index))
        }
        if phase == .stopping && cursor == index { actions += continueStop(below: index) }
        if phase == .draining && cursor == index { actions += continueDrain(below: index) }
        return actions
    }

    /// The service ignored its stop and its cancellation: the runner goes on without it.
    private mutating func stuck(_ index: Int, epoch: Int, error: HandoffError) -> [RunnerAction] {
        guard slots[index].epoch == epoch, slots[index].alive else { return [] }
        slots[index].alive = false
        if firstFatalError == nil { firstFatalError = error }
        var actions = set(index, .stuck) + [.stuck(index, error)]
        if phase == .stopping && cursor == index { actions += continueStop(below: index) }
        if phase == .draining && cursor == index { actions += continueDrain(below: index) }
        if phase == .starting || phase == .running {
            actions += beginStop(reason: "a service is stuck", escalate: false, force: true)
        }
        return actions
    }

    private mutating func beginStop(reason: String, escalate: Bool, force: Bool) -> [RunnerAction] {
        switch phase {
        case .finished:
            return []
        case .stopping:
            guard escalate, !escalated else { return [] }
            escalated = true
            var actions: [RunnerAction] = [.log(.warn, "\(reason): cancelling every service still running", service: nil)]
            for index in slots.indices where slots[index].alive && slots[index].state == .shuttingDown {
                actions.append(.cancel(index, epoch: slots[index].epoch))
            }
            return actions
        case .draining where !force, .drained where !force:
            stopDeferred = true
            return [.log(.info, "\(reason): the stop waits until the upgrade in flight ends", service: nil)]
        case .idle, .starting, .running, .draining, .drained:
            var actions: [RunnerAction] = [.log(.info, "\(reason): stopping in reverse order", service: nil), .armTotalStopDeadline]
            // Connections drained for an upgrade that committed are the successor's: never
            // handed back (a server closing them could read the successor's bytes).
            drainedConnections = [:]
            phase = .stopping
            escalated = escalate
            actions += completeDrain(.failure(HandoffError(.drainFailed, "the services are stopping")))
            actions += takeResumeWaiter()
            actions += continueStop(below: slots.count)
            return actions
        }
    }

    private mutating func continueStop(below limit: Int) -> [RunnerAction] {
        guard let next = slots.indices.last(where: { $0 < limit && slots[$0].alive }) else {
            phase = .finished
            return handBack() + takeResumeWaiter() + [.finish]
        }
        cursor = next
        return set(next, .shuttingDown) + [.stop(next, epoch: slots[next].epoch, cancelNow: escalated)]
    }

    // MARK: Upgrades

    private mutating func drain(after boundary: Int, waiter: CheckedContinuation<[HandoffConnection], any Error>) -> [RunnerAction] {
        guard phase == .running else {
            return [.completeDrain(waiter, .failure(HandoffError(.drainFailed, "the services are \(phase.rawValue), not running")))]
        }
        phase = .draining
        self.boundary = boundary
        drainWaiter = waiter
        drainedConnections = [:]
        resumeRequested = false
        return [.log(.info, "draining the services after the upgrader", service: nil)] + continueDrain(below: slots.count)
    }

    private mutating func continueDrain(below limit: Int) -> [RunnerAction] {
        guard let next = slots.indices.last(where: { $0 < limit && $0 > boundary && slots[$0].alive }) else {
            phase = .drained
            let connections = drainedConnections.keys.sorted().flatMap { drainedConnections[$0]! }
            return completeDrain(.success(connections)) + (resumeRequested ? resume() : [])
        }
        cursor = next
        let epoch = slots[next].epoch
        return set(next, .shuttingDown) + [slots[next].isParticipant ? .drainParticipant(next, epoch: epoch) : .stop(next, epoch: epoch, cancelNow: false)]
    }

    private mutating func completeDrain(_ result: Result<[HandoffConnection], HandoffError>) -> [RunnerAction] {
        guard let waiter = drainWaiter else { return [] }
        drainWaiter = nil
        return [.completeDrain(waiter, result)]
    }

    /// After a failed upgrade: the drained participants get their connections back, and the
    /// services the drain stopped start again in order.
    private mutating func resume() -> [RunnerAction] {
        resumeRequested = false
        var actions = handBack()
        for index in slots.indices where index > boundary && slots[index].alive && slots[index].state == .shuttingDown {
            actions += set(index, .running)
        }
        if stopDeferred {
            phase = .running
            return actions + takeResumeWaiter() + beginStop(reason: "a stop was requested during the upgrade", escalate: false, force: true)
        }
        phase = .starting
        actions.append(.log(.info, "the upgrade failed: starting the drained services again", service: nil))
        return actions + startNext(after: boundary)
    }

    private mutating func handBack() -> [RunnerAction] {
        defer { drainedConnections = [:] }
        return drainedConnections.keys.sorted().map { .resumeParticipant($0, drainedConnections[$0]!) }
    }

    private mutating func takeResumeWaiter() -> [RunnerAction] {
        guard let waiter = resumeWaiter else { return [] }
        resumeWaiter = nil
        return [.completeResume(waiter)]
    }

    private mutating func set(_ index: Int, _ state: ServiceState) -> [RunnerAction] {
        slots[index].state = state
        return [.transition(index, state)]
    }
}
