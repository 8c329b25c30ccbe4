import Synchronization
import HandoffSystem

/// An ``Upgrader``'s voice towards systemd: it observes the upgrader's events as they are
/// emitted (synchronously, in order) and sends what ``SystemdNotifyMachine`` decides; in
/// ``run()`` it pings the watchdog, extends the timeout of long drains, and renews the state
/// checkpoint in the file descriptor store.
///
/// The events are observed inline rather than read from a stream, so `MAINPID=` is sent before
/// ``Upgrader/upgrade()`` returns and ``Upgrader/run(participant:)`` can let the process exit:
/// no process that already exited leaves its successor unannounced.
///
/// A failed send changes nothing about serving; like `sd_notify(3)` callers, the reporter
/// carries on (the last failure is kept for ``lastFailure``).
package final class SystemdReporter: Sendable {
    let notifier: SystemdNotifier
    let configuration: SystemdConfiguration
    /// Half of `WATCHDOG_USEC`, when the watchdog is this process's to ping.
    let watchdogInterval: Duration?
    private let descriptors: Descriptors
    private let registry: HandoffRegistry
    private let machine: Mutex<SystemdNotifyMachine>
    private let nextSlot = Mutex(0)
    private let failure = Mutex<HandoffError?>(nil)
    /// Fulfilled once `READY=1` went out (the state checkpoints start then).
    private let announced = AsyncLatch<Void>()

    /// A reporter for `$NOTIFY_SOCKET`; `nil` outside systemd or with nothing to do.
    /// - Parameters:
    ///   - awaitsPredecessor: A successor with a live predecessor: `READY=1` waits for it to go.
    ///   - predecessorPID: Its pid: a `WATCHDOG_PID` naming it is this process's to take over.
    init?(configuration: SystemdConfiguration, generation: Int, awaitsPredecessor: Bool, predecessorPID: Int32?,
          descriptors: Descriptors, registry: HandoffRegistry) {
        guard configuration.notifies || configuration.storesDescriptors, let notifier = SystemdNotifier.fromEnvironment() else {
            return nil
        }
        self.notifier = notifier
        self.configuration = configuration
        self.descriptors = descriptors
        self.registry = registry
        self.watchdogInterval = SystemdReporter.takeWatchdog(predecessor: predecessorPID)
        self.machine = Mutex(SystemdNotifyMachine(
            generation: generation, awaitsPredecessor: awaitsPredecessor, extensionInterval: configuration.drainExtensionInterval))
    }

    /// The last send that failed, if any.
    var lastFailure: HandoffError? { failure.withLock { $0 } }

    /// Called by the upgrader for every event it emits, before any subscriber sees it.
    func observe(_ event: UpgradeEvent) {
        let now = ContinuousClock.now
        let monotonic = SystemdReporter.monotonicMicroseconds()
        perform(machine.withLock { $0.observe(event, now: now, monotonicMicroseconds: monotonic) })
    }

    /// ``Upgrader/ready()`` succeeded.
    func processReady() { perform(machine.withLock { $0.processReady() }) }

    /// A final stop began: `STOPPING=1`, once.
    package func stopping() { perform(machine.withLock { $0.stopping() }) }

    /// Pings the watchdog, extends long drains and renews the state checkpoint until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            if let interval = watchdogInterval {
                group.addTask {
                    await self.every(interval) {
                        if self.machine.withLock({ $0.isMain }) { self.send(["WATCHDOG=1"]) }
                    }
                }
            }
            if configuration.notifies {
                group.addTask {
                    await self.every(self.configuration.drainExtensionInterval / 4) {
                        self.perform(self.machine.withLock { $0.tick(now: .now) })
                    }
                }
            }
            if configuration.storesDescriptors {
                group.addTask {
                    // The first checkpoint as soon as the state is restored: a crash right
                    // after a start keeps what was restored.
                    _ = await self.registry.restored()
                    guard (try? await self.announced.wait()) != nil else { return }
                    await self.checkpoint()
                    await self.every(self.configuration.stateCheckpointInterval) { await self.checkpoint() }
                }
            }
        }
    }

    /// Writes the registered state into the next checkpoint slot of the file descriptor store.
    func checkpoint() async {
        guard configuration.storesDescriptors, machine.withLock({ $0.isServing }), !registry.names.isEmpty else { return }
        do {
            let envelopes = try await registry.snapshot()
            let bytes = StateCheckpoint.encode(envelopes, sequence: StoreFiles.realtimeNanoseconds())
            let name = nextSlot.withLock { slot in
                defer { slot = (slot + 1) % StateCheckpoint.slotNames.count }
                return StateCheckpoint.slotNames[slot]
            }
            let fd = try StateCheckpoint.memfd(holding: bytes, name: name)
            defer { Syscall.close(fd) }
            guard machine.withLock({ $0.isServing }) else { return }
            try notifier.notify(["FDSTOREREMOVE=1", "FDNAME=\(name)"])
            try notifier.notify(["FDSTORE=1", "FDNAME=\(name)"], descriptors: [fd])
        } catch {
            record(error)
        }
    }

    private func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
        while true {
            do { try await Task.sleep(for: interval) } catch { return }
            await body()
        }
    }

    private func perform(_ actions: [SystemdNotifyMachine.Action]) {
        for action in actions {
            switch action {
            case .notify(let message):
                if configuration.notifies { send(message) }
            case .storeListeners:
                if configuration.storesDescriptors { storeListeners() }
                announced.fulfill(())
            }
        }
    }

    private func send(_ message: [String]) {
        do { try notifier.notify(message) } catch { record(error) }
    }

    /// `FDSTORE=1` for every listening and datagram socket held, one message each (systemd
    /// keeps a descriptor it already holds once).
    private func storeListeners() {
        for (record, fd) in descriptors.handoverSnapshot() where record.kind == .listener || record.kind == .datagram {
            do {
                try notifier.notify(["FDSTORE=1", "FDNAME=\(try FileDescriptorName.encode(record.name))"], descriptors: [fd])
            } catch {
                self.record(error)
            }
        }
    }

    private func record(_ error: any Error) {
        failure.withLock { $0 = error as? HandoffError ?? HandoffError(.systemCall, "\(error)") }
    }

    /// Half of `WATCHDOG_USEC` if the watchdog is this process's (``watchdogInterval(microseconds:owner:predecessor:)``).
    /// `WATCHDOG_PID` is then removed, so a successor finds it unset and takes it over in turn.
    static func takeWatchdog(predecessor: Int32?) -> Duration? {
        let owner = Environment.value("WATCHDOG_PID")
        guard let interval = watchdogInterval(
            microseconds: Environment.value("WATCHDOG_USEC"), owner: owner, predecessor: predecessor) else { return nil }
        if owner != nil { Environment.remove("WATCHDOG_PID") }
        return interval
    }

    /// Half of `WATCHDOG_USEC` if it is set and the watchdog is this process's: `WATCHDOG_PID`
    /// unset or empty, this pid, or the predecessor's (whose place this process takes).
    static func watchdogInterval(microseconds: String?, owner: String?, predecessor: Int32?) -> Duration? {
        guard let microseconds, let usec = Int64(microseconds), usec > 0 else { return nil }
        if let owner, !owner.isEmpty {
            guard let pid = Int32(owner), pid == Syscall.processID || pid == predecessor else { return nil }
        }
        return .microseconds(usec) / 2
    }

    static func monotonicMicroseconds() -> UInt64 {
        UInt64(SystemClock.monotonicNanoseconds() / 1000)
    }
}
