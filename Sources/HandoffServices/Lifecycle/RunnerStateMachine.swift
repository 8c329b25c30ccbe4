import HandoffSystem
/// The ``ServiceRunner``'s decisions: which service starts, stops, drains or is cancelled next.
///
/// Mutating methods take an event and return the actions to perform; the runner performs them
/// outside the lock. Services start one at a time in list order, each after the previous one's
/// readiness check passed, and stop one at a time in reverse order. A drain takes the services
/// after a boundary down in reverse order, each by its stop or by a step its caller gave
/// (which leaves the service's task running); a resume hands back through its caller's closure
/// and starts the stopped ones again in order. What a step or a hand-back does (an upgrade's
/// connections) is the caller's business, not the runner's.
struct RunnerStateMachine: Sendable {
    enum Phase: String, Sendable {
        case idle, starting, running, draining, drained, stopping, finished
    }

    struct Slot: Sendable {
        var state = ServiceState.stopped
        var epoch = 0
        /// Its task is running.
        var alive = false
    }

    private(set) var slots: [Slot]
    private(set) var phase = Phase.idle
    /// The service being started, stopped or drained.
    private var cursor = 0
    private var escalated = false
    private var stopDeferred = false
    private(set) var firstFatalError: (any Error)?
    private var boundary = -1
    /// What the current (or last) drain is for, as its caller said ("for an upgrade").
    private(set) var purpose = ""
    private var drainWaiter: CheckedContinuation<Void, any Error>?
    /// The current drain's steps, by service index: those services are not stopped.
    private var drainSteps: [Int: ServiceRunner.DrainStep] = [:]
    /// What to run before the drained services start again, once a resume goes ahead.
    private var handBack: ServiceRunner.HandBack?
    private var resumeWaiter: CheckedContinuation<Void, Never>?
    private var resumeRequested = false

    init(count: Int) {
        slots = Array(repeating: Slot(), count: count)
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
        case .drain(let boundary, let purpose, let steps, let waiter):
            return drain(after: boundary, purpose: purpose, steps: steps, waiter: waiter)
        case .drainCancelled:
            guard let waiter = drainWaiter else { return [] }
            drainWaiter = nil
            return [.completeDrain(waiter, .failure(HandoffError(.drainFailed, "the drain was cancelled")))]
        case .stepDone(let index, let epoch, let failure):
            guard phase == .draining, cursor == index, slots[index].epoch == epoch else { return [] }
            guard let failure else { return continueDrain(below: index) }
            phase = .drained
            let error = HandoffError(.drainFailed, "a service failed to drain: \(failure)")
            return completeDrain(.failure(error)) + (resumeRequested ? resume() : [])
        case .resume(let handBack, let waiter):
            resumeWaiter = waiter
            switch phase {
            case .draining:
                self.handBack = handBack
                resumeRequested = true
                return []
            case .drained:
                self.handBack = handBack
                return resume()
            case .idle, .starting, .running, .stopping, .finished:
                // Nothing is drained: a stop dropped what a committed drain gave away.
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
            actions += beginStop(reason: "a stop was requested during the drain", escalate: false, force: true)
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
            return [.log(.info, "\(reason): the stop waits until the drain in flight ends or resumes", service: nil)]
        case .idle, .starting, .running, .draining, .drained:
            var actions: [RunnerAction] = [.log(.info, "\(reason): stopping in reverse order", service: nil), .armTotalStopDeadline]
            // What a drain gave away stays given away: never handed back (after an upgrade
            // that committed, a server given back its connections could read the successor's
            // bytes).
            drainSteps = [:]
            handBack = nil
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
            return takeResumeWaiter() + [.finish]
        }
        cursor = next
        return set(next, .shuttingDown) + [.stop(next, epoch: slots[next].epoch, cancelNow: escalated)]
    }

    // MARK: Drain and resume

    private mutating func drain(after boundary: Int, purpose: String, steps: [Int: ServiceRunner.DrainStep], waiter: CheckedContinuation<Void, any Error>) -> [RunnerAction] {
        guard phase == .running else {
            return [.completeDrain(waiter, .failure(HandoffError(.drainFailed, "the services are \(phase.rawValue), not running")))]
        }
        phase = .draining
        self.purpose = purpose
        self.boundary = boundary
        drainWaiter = waiter
        drainSteps = steps
        handBack = nil
        resumeRequested = false
        return [.log(.info, "draining the services after \(boundary < 0 ? "the start" : "service \(boundary)") \(purpose)", service: nil)] + continueDrain(below: slots.count)
    }

    private mutating func continueDrain(below limit: Int) -> [RunnerAction] {
        guard let next = slots.indices.last(where: { $0 < limit && $0 > boundary && slots[$0].alive }) else {
            phase = .drained
            return completeDrain(.success(())) + (resumeRequested ? resume() : [])
        }
        cursor = next
        let epoch = slots[next].epoch
        if let step = drainSteps[next] {
            return set(next, .shuttingDown) + [.drainStep(next, epoch: epoch, step)]
        }
        return set(next, .shuttingDown) + [.stop(next, epoch: epoch, cancelNow: false)]
    }

    private mutating func completeDrain(_ result: Result<Void, HandoffError>) -> [RunnerAction] {
        guard let waiter = drainWaiter else { return [] }
        drainWaiter = nil
        return [.completeDrain(waiter, result)]
    }

    /// After a drain that is not followed through (a failed upgrade): the caller's hand-back
    /// runs, the services drained by a step run on, and the ones the drain stopped start again
    /// in order.
    private mutating func resume() -> [RunnerAction] {
        resumeRequested = false
        drainSteps = [:]
        var actions = handBack.map { [RunnerAction.handBack($0)] } ?? []
        handBack = nil
        for index in slots.indices where index > boundary && slots[index].alive && slots[index].state == .shuttingDown {
            actions += set(index, .running)
        }
        if stopDeferred {
            phase = .running
            return actions + takeResumeWaiter() + beginStop(reason: "a stop was requested during the drain", escalate: false, force: true)
        }
        phase = .starting
        actions.append(.log(.info, "resuming: starting the drained services again", service: nil))
        return actions + startNext(after: boundary)
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
