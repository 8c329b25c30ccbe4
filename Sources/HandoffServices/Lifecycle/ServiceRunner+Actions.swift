import HandoffSystem

// Performing the state machine's actions: the services' tasks, timers, signals, health polls.
extension ServiceRunner {
    /// Performs `actions`; returns whether the runner is finished.
    func perform(_ actions: [RunnerAction], in group: inout DiscardingTaskGroup) async -> Bool {
        var finished = false
        for action in actions {
            switch action {
            case .launch(let index, let epoch):
                launch(index, epoch: epoch, in: &group)
            case .pollReadiness(let index, let epoch):
                pollReadiness(index, epoch: epoch, in: &group)
            case .stop(let index, let epoch, let cancelNow):
                stop(index, epoch: epoch, cancelNow: cancelNow, in: &group)
            case .cancel(let index, let epoch):
                instance(index, epoch: epoch)?.abort.fulfill(())
                armStuckDeadline(index, epoch: epoch, in: &group)
            case .drainStep(let index, let epoch, let step):
                group.addTask {
                    var failure: (any Error)?
                    do { try await step() } catch { failure = error }
                    self.mailbox.post(.stepDone(index, epoch: epoch, failure: failure))
                }
            case .handBack(let handBack):
                await handBack()
            case .completeDrain(let waiter, let result):
                waiter.resume(with: result)
            case .completeResume(let waiter):
                waiter.resume()
            case .transition(let index, let state):
                changeBroadcast.emit(ServiceStateChange(service: services[index].name, index: index, state: state))
                let level: HandoffLogLevel = state == .running || state == .stopped ? .info : .debug
                log(level, "service \(state)", service: index)
            case .allRunning:
                allRunning.fulfill(())
                log(.info, "every service is running", service: nil)
            case .armTotalStopDeadline:
                guard let total = configuration.totalStopTimeout else { break }
                group.addTask {
                    try? await Task.sleep(for: total)
                    if !Task.isCancelled { self.mailbox.post(.cancelRequested(reason: "the total stop deadline of \(total) passed")) }
                }
            case .log(let level, let message, let service):
                log(level, message, service: service)
            case .fatal(let index, let error):
                failureBroadcast.emit(ServiceFailure(service: services[index].name, severity: .fatal, error: error))
                log(.error, "fatal: \(error)", service: index)
            case .stuck(let index, let error):
                let name = services[index].name
                failureBroadcast.emit(ServiceFailure(service: name, severity: .fatal, error: error))
                metrics.counter("handoff_service_stuck_total", help: "Services that ignored their stop and cancellation past the grace period.")
                    .increment(labels: ["service": name])
                log(.error, "stuck: \(error.reason)", service: index)
            case .finish:
                finished = true
            }
        }
        return finished
    }

    func addBackgroundTasks(to group: inout DiscardingTaskGroup) {
        if let signals = stopSignalStream {
            group.addTask {
                var count = 0
                for await number in signals {
                    count += 1
                    let name = Signal(rawValue: number).description
                    self.mailbox.post(count == 1 ? .stopRequested(reason: "\(name) received") : .cancelRequested(reason: "\(name) received again"))
                }
            }
        }
        if let interval = configuration.healthPollInterval {
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await self.pollHealth()
                }
            }
        }
    }

    /// Asks every running service for its health (passive health checking), all at once, each
    /// for at most ``RunnerConfiguration/checkTimeout``: a check past it reports the service
    /// unhealthy, and holds up no other.
    func pollHealth() async {
        let slots = machine.withLock { $0.slots }
        let timeout = configuration.checkTimeout
        await withDiscardingTaskGroup { group in
            for index in services.indices where slots[index].state == .running && !Task.isCancelled {
                let service = services[index]
                group.addTask {
                    let polled = await Abandonable.run(within: timeout) { await service.checkHealth() }
                    guard !Task.isCancelled else { return }
                    switch polled {
                    case .some(.some(let health)): self.health.report(health, for: service.name)
                    case .some(.none): break
                    case .none: self.health.report(.unhealthy("the health check did not answer within \(timeout)"), for: service.name)
                    }
                }
            }
        }
    }

    /// Reports a transient failure from inside a service.
    func report(_ failure: ServiceFailure) {
        failureBroadcast.emit(failure)
        configuration.logger?.log(.warn, "transient failure: \(failure.error)", metadata: ["service": failure.service])
    }

    func log(_ level: HandoffLogLevel, _ message: String, service: Int?) {
        guard let logger = configuration.logger else { return }
        logger.log(level, message, metadata: service.map { ["service": services[$0].name] } ?? [:])
    }

    // MARK: One service

    private func instance(_ index: Int, epoch: Int) -> ServiceInstance? {
        instances.withLock { $0[index] }.flatMap { $0.epoch == epoch ? $0 : nil }
    }

    private func context(_ index: Int, _ instance: ServiceInstance) -> RunnerContext {
        let name = services[index].name
        return RunnerContext(name: name, service: name, stopSignal: instance.stopSignal, runner: self, index: index) { [weak self] in
            self?.report($0)
        }
    }

    private func launch(_ index: Int, epoch: Int, in group: inout DiscardingTaskGroup) {
        let instance = ServiceInstance(epoch: epoch)
        instances.withLock { $0[index] = instance }
        let service = services[index]
        let context = context(index, instance)
        let initializeTimeout = configuration.initializeTimeout
        group.addTask {
            try? await Task.sleep(for: initializeTimeout)
            guard !Task.isCancelled else { return }
            let error = HandoffError(.serviceInitializeTimedOut, "service \(service.name) did not initialize within \(initializeTimeout)")
            self.mailbox.post(.initializeDeadline(index, epoch: epoch, error))
        }
        // Its own task, not a child of the group: a service that ignores cancellation must not
        // hold the runner (see `RunnerConfiguration.stopGracePeriod`).
        let body = ChildDriver.run(instance, context: context, {
            try await service.initialize()
            self.mailbox.post(.initialized(index, epoch: epoch))
            guard !instance.stopSignal.isTriggered else { return }
            try await service.run()
        }, exited: { error in
            let failure: (any Error)? = switch error {
            case nil: nil
            case is CancellationError: CancellationError()
            case let error as HandoffError: error.context("service \(service.name)")
            case let error?: HandoffError(.serviceFailed, "service \(service.name) failed: \(error)")
            }
            self.mailbox.post(.finished(index, epoch: epoch, error: failure))
        })
        Task(operation: body)
    }

    private func pollReadiness(_ index: Int, epoch: Int, in group: inout DiscardingTaskGroup) {
        guard let instance = instance(index, epoch: epoch) else { return }
        let service = services[index]
        let context = context(index, instance)
        let timeout = service.readinessTimeout ?? configuration.readinessTimeout
        let interval = configuration.readinessPollInterval
        let checkTimeout = configuration.checkTimeout
        let deadline = ContinuousClock.now + timeout
        group.addTask {
            let outcome = await withTaskGroup(of: RunnerEvent?.self) { race -> RunnerEvent? in
                race.addTask {
                    while !Task.isCancelled && self.machine.withLock({ $0.isStarting(index, epoch: epoch) }) {
                        let ready = await RunnerContext.$current.withValue(context) {
                            await Abandonable.run(within: checkTimeout) { (try? await service.checkReadiness()) ?? false }
                        } ?? false
                        if ready { return .ready(index, epoch: epoch) }
                        try? await Task.sleep(for: interval)
                    }
                    return nil
                }
                race.addTask {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    guard !Task.isCancelled else { return nil }
                    return .notReady(index, epoch: epoch, HandoffError(.serviceNotReady, "service \(service.name) was not ready within \(timeout)"))
                }
                let first = await race.next() ?? nil
                race.cancelAll()
                return first
            }
            if let outcome { self.mailbox.post(outcome) }
        }
    }

    private func stop(_ index: Int, epoch: Int, cancelNow: Bool, in group: inout DiscardingTaskGroup) {
        guard let instance = instance(index, epoch: epoch) else { return }
        let service = services[index]
        let context = context(index, instance)
        instance.stopSignal.trigger()
        if cancelNow {
            instance.abort.fulfill(())
            armStuckDeadline(index, epoch: epoch, in: &group)
        }
        let stopTimeout = service.stopTimeout ?? configuration.stopTimeout
        let requestLimit = stopTimeout + configuration.stopGracePeriod
        group.addTask {
            _ = await RunnerContext.$current.withValue(context) {
                await Abandonable.run(within: requestLimit) {
                    try? await ServiceInstance.abortable(instance.abort) { await service.requestStop() }
                }
            }
        }
        group.addTask(operation: ChildDriver.stopDeadline(instance, at: .now + stopTimeout) {
            self.mailbox.post(.stopDeadline(index, epoch: epoch))
        })
    }

    /// After a cancellation: past the grace period, a service still running is stuck.
    private func armStuckDeadline(_ index: Int, epoch: Int, in group: inout DiscardingTaskGroup) {
        guard let instance = instance(index, epoch: epoch) else { return }
        let grace = configuration.stopGracePeriod
        let name = services[index].name
        group.addTask {
            if await Abandonable.wait(for: instance.finished, within: grace) { return }
            guard !Task.isCancelled else { return }
            let error = HandoffError(.serviceStuck, "service \(name) ignored its stop and its cancellation for \(grace); the runner stopped waiting for it")
            self.mailbox.post(.stuck(index, epoch: epoch, error))
        }
    }
}
