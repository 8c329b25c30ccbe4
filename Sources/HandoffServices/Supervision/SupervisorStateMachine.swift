import Handoff
import HandoffSystem
/// The ``Supervisor``'s decisions: which child starts, stops, restarts, and when it gives up.
///
/// Mutating methods take an event and return the actions to perform, outside the lock. Children
/// keep their start order; stops of several children go one at a time, in reverse order, each
/// waiting for the previous one to end. Every start of a child gets a new epoch, so events about
/// an earlier life of it are ignored.
struct SupervisorStateMachine {
    enum ChildState: Equatable {
        /// Not running: before a group restart, or waiting for its backoff delay.
        case idle
        case running
        /// Asked to stop; its task has not ended yet.
        case stopping
        case waitingRestart
    }

    struct Child {
        let id: Int
        var spec: ChildSpec
        var state = ChildState.idle
        var epoch = 0
        /// Its restarts within the intensity period, for the backoff.
        var restarts: [ContinuousClock.Instant] = []
        /// Removed once its task ends.
        var removing = false
    }

    /// A restart of several children (one-for-all, rest-for-one) in progress: the children from
    /// `from` on are stopped, then all start again after `delay`.
    struct GroupRestart {
        var from: Int
        var delay: Duration
        var token: Int
        var scheduled = false
    }

    enum Phase: Equatable { case running, stopping, finished }

    let name: String
    let configuration: SupervisorConfiguration
    private(set) var children: [Child] = []
    private(set) var phase = Phase.running
    private(set) var stats: SupervisorStats
    private var restarts: [ContinuousClock.Instant] = []
    private var group: GroupRestart?
    /// Children to stop one at a time, the next first.
    private var stopQueue: [Int] = []
    private var nextID = 0
    private var nextToken = 0
    private var escalation: HandoffError?
    private var random: any RandomNumberGenerator & Sendable

    init(name: String, configuration: SupervisorConfiguration, stats: SupervisorStats, random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.name = name
        self.configuration = configuration
        self.stats = stats
        self.stats.running = 0
        self.stats.children = 0
        self.random = random
    }

    // MARK: Starting and adding

    mutating func start(_ specs: [ChildSpec]) -> [SupervisorAction] {
        let actions = specs.flatMap { add($0) }
        refreshCounts()
        return actions
    }

    private mutating func add(_ spec: ChildSpec) -> [SupervisorAction] {
        guard phase == .running else { return [] }
        let child = Child(id: nextID, spec: spec)
        nextID += 1
        children.append(child)
        // A group restart under way starts it along with the others.
        if let group, children.count - 1 >= group.from { return [] }
        return launch(children.count - 1)
    }

    private mutating func launch(_ index: Int) -> [SupervisorAction] {
        children[index].epoch += 1
        children[index].state = .running
        return [.start(child: children[index].id, epoch: children[index].epoch, children[index].spec)]
    }

    // MARK: Events

    mutating func handle(_ event: SupervisorEvent, now: ContinuousClock.Instant) -> [SupervisorAction] {
        var actions: [SupervisorAction]
        switch event {
        case .exited(let id, let epoch, let error):
            actions = exited(id, epoch: epoch, error: error, now: now)
        case .restartDue(let id, let epoch):
            guard phase == .running, let index = position(of: id), children[index].epoch == epoch,
                  children[index].state == .waitingRestart else { return [] }
            actions = launch(index)
        case .groupRestartDue(let token):
            guard phase == .running, let group, group.token == token else { return [] }
            actions = restartGroup()
        case .stopDeadline(let id, let epoch):
            guard let index = position(of: id), children[index].epoch == epoch, children[index].state == .stopping else { return [] }
            actions = [.abort(child: id, epoch: epoch)]
        case .stopRequested:
            actions = beginStop()
        case .cancelRequested:
            actions = beginStop()
            for child in children where child.state == .running || child.state == .stopping {
                actions.append(.abort(child: child.id, epoch: child.epoch))
            }
        case .add(let spec):
            actions = add(spec)
        case .remove(let name):
            actions = remove(name)
        }
        refreshCounts()
        return actions + finishIfDone()
    }

    private mutating func exited(_ id: Int, epoch: Int, error: (any Error)?, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard let index = position(of: id), children[index].epoch == epoch,
              children[index].state == .running || children[index].state == .stopping else { return [] }
        let askedToStop = children[index].state == .stopping || phase != .running
        children[index].state = .idle
        var actions: [SupervisorAction] = []
        // A cancellation the supervisor caused is how a stopped child ends; any other error,
        // or a cancellation nobody asked for, is a failure.
        let failed = error.map { !(askedToStop && $0 is CancellationError) } ?? false
        if failed, let error {
            stats.failures += 1
            stats.lastFailure = ChildFailure(child: children[index].spec.name, error: error, at: now)
            actions.append(.failed(child: children[index].spec.name, error: error))
        }
        if children[index].removing || (askedToStop && phase != .running) {
            if children[index].removing { removeChild(at: index) }
            return actions + stopNext() + groupReadyIfStopped()
        }
        if askedToStop {
            // Stopped for a group restart: it starts again with the others, unless it never
            // restarts.
            if children[index].spec.restart == .never { removeChild(at: index) }
            return actions + stopNext() + groupReadyIfStopped()
        }
        let restarting: Bool
        switch children[index].spec.restart {
        case .always: restarting = true
        case .onFailure: restarting = failed
        case .never: restarting = false
        }
        guard restarting else {
            removeChild(at: index)
            return actions + groupReadyIfStopped()
        }
        return actions + restart(index, now: now)
    }

    /// Counts a restart of the child at `index` against the intensity, and restarts what the
    /// strategy says.
    private mutating func restart(_ index: Int, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let period = configuration.intensity.period
        restarts = restarts.filter { now - $0 < period } + [now]
        if restarts.count > configuration.intensity.maxRestarts {
            let last = stats.lastFailure.map { "; last failure: \($0)" } ?? ""
            escalation = HandoffError(.restartIntensityExceeded, "supervisor \(name): \(restarts.count) restarts within \(period), at most \(configuration.intensity.maxRestarts) allowed\(last)")
            return beginStop()
        }
        stats.restarts += 1
        children[index].restarts = children[index].restarts.filter { now - $0 < period } + [now]
        let delay = configuration.backoff.delay(beforeRestart: children[index].restarts.count, random: Double.random(in: 0..<1, using: &random))
        var actions: [SupervisorAction] = [.restarted]
        switch configuration.strategy {
        case .oneForOne:
            if delay == .zero { return actions + launch(index) }
            children[index].state = .waitingRestart
            actions.append(.scheduleRestart(child: children[index].id, epoch: children[index].epoch, delay: delay))
            return actions
        case .oneForAll, .restForOne:
            let from = configuration.strategy == .oneForAll ? 0 : index
            if var group {
                group.from = min(group.from, from)
                group.delay = max(group.delay, delay)
                self.group = group
            } else {
                group = GroupRestart(from: from, delay: delay, token: nextToken)
                nextToken += 1
            }
            for member in from..<children.count where children[member].state == .waitingRestart {
                children[member].state = .idle
            }
            // Stop the members still running, last first; those stopping already are in hand.
            let running = (from..<children.count).reversed().map { children[$0].id }.filter { id in
                children.first { $0.id == id }?.state == .running && !stopQueue.contains(id)
            }
            stopQueue = (stopQueue + running).compactMap { id in position(of: id).map { (id, $0) } }
                .sorted { $0.1 > $1.1 }.map(\.0)
            return actions + stopNext() + groupReadyIfStopped()
        }
    }

    /// Once every member of the group restart has stopped, schedules their start.
    private mutating func groupReadyIfStopped() -> [SupervisorAction] {
        guard phase == .running, var group, !group.scheduled else { return [] }
        guard children.indices.filter({ $0 >= group.from }).allSatisfy({ children[$0].state == .idle }) else { return [] }
        group.scheduled = true
        self.group = group
        if group.delay == .zero { return restartGroup() }
        return [.scheduleGroupRestart(token: group.token, delay: group.delay)]
    }

    private mutating func restartGroup() -> [SupervisorAction] {
        guard let group else { return [] }
        self.group = nil
        return children.indices.filter { $0 >= group.from && children[$0].state == .idle }.flatMap { launch($0) }
    }

    /// Asks the next child in the stop queue to stop, unless one is stopping already.
    private mutating func stopNext() -> [SupervisorAction] {
        guard !children.contains(where: { $0.state == .stopping }) else { return [] }
        while !stopQueue.isEmpty {
            let id = stopQueue.removeFirst()
            guard let index = position(of: id), children[index].state == .running else { continue }
            children[index].state = .stopping
            let deadline = children[index].spec.stopTimeout ?? configuration.stopTimeout
            return [.stop(child: id, epoch: children[index].epoch, deadline: deadline)]
        }
        return []
    }

    private mutating func remove(_ name: String) -> [SupervisorAction] {
        guard let index = children.firstIndex(where: { $0.spec.name == name && !$0.removing }) else { return [] }
        switch children[index].state {
        case .idle, .waitingRestart:
            removeChild(at: index)
            return groupReadyIfStopped()
        case .running:
            children[index].removing = true
            stopQueue.insert(children[index].id, at: 0)
            return stopNext()
        case .stopping:
            children[index].removing = true
            return []
        }
    }

    /// Stops every child, last first; no child starts again.
    private mutating func beginStop() -> [SupervisorAction] {
        guard phase == .running else { return [] }
        phase = .stopping
        group = nil
        for index in children.indices where children[index].state == .waitingRestart {
            children[index].state = .idle
        }
        stopQueue = children.reversed().filter { $0.state == .running }.map(\.id)
        return stopNext()
    }

    private mutating func finishIfDone() -> [SupervisorAction] {
        guard phase == .stopping, children.allSatisfy({ $0.state == .idle || $0.state == .waitingRestart }) else { return [] }
        phase = .finished
        refreshCounts()
        return [.finish(escalation)]
    }

    private mutating func refreshCounts() {
        stats.children = children.count
        stats.running = children.filter { $0.state == .running || $0.state == .stopping }.count
    }

    /// Removes a child, keeping a group restart's bound on the same children.
    private mutating func removeChild(at index: Int) {
        children.remove(at: index)
        if var group, index < group.from {
            group.from -= 1
            self.group = group
        }
    }

    private func position(of id: Int) -> Int? {
        children.firstIndex { $0.id == id }
    }
}
