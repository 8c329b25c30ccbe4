import HandoffSystem

/// What this process tells systemd, decided from its upgrade events. Mutating methods return
/// the actions; the ``SystemdReporter`` performs them outside the lock.
///
/// The messages, one datagram each:
/// - a first start: `READY=1` once ready; a successor: `READY=1` once its predecessor is gone
///   (the predecessor's `MAINPID=` then reached systemd first, so with `NotifyAccess=main` the
///   successor's message counts);
/// - an upgrade starts: `RELOADING=1` with `MONOTONIC_USEC=`;
/// - a drain lasts: `EXTEND_TIMEOUT_USEC=` every ``SystemdConfiguration/drainExtensionInterval``;
/// - it fails: `READY=1` again (the reload is over, this process serves on);
/// - it commits: `MAINPID=<successor>`, and from then on nothing at all;
/// - a final stop: `STOPPING=1`.
///
/// Every message but `MAINPID=` and `WATCHDOG=1` carries a `STATUS=` line.
struct SystemdNotifyMachine: Sendable {
    enum Action: Sendable, Equatable {
        /// Send these assignments as one message.
        case notify([String])
        /// Put the listeners in the file descriptor store (after `READY=1`).
        case storeListeners
    }

    let generation: Int
    let extensionInterval: Duration
    /// Ready but waiting for the predecessor to go before saying so.
    private var awaitsPredecessor: Bool
    private var appReady = false
    private var readySent = false
    private var predecessorLost = false
    private var reloading = false
    private var drainStartedAt: ContinuousClock.Instant?
    private var lastExtension: ContinuousClock.Instant?
    private var stoppingSent = false
    /// `MAINPID=` went out: this process says nothing more.
    private(set) var muted = false

    init(generation: Int, awaitsPredecessor: Bool, extensionInterval: Duration) {
        self.generation = generation
        self.awaitsPredecessor = awaitsPredecessor
        self.extensionInterval = extensionInterval
    }

    private func status(_ text: String) -> String {
        let line = text.map { $0.isNewline ? " " : $0 }
        return "STATUS=generation \(generation): " + String(line.prefix(1000))
    }

    /// Said `READY=1`, and neither handed over nor stopping: the time to keep checkpoints.
    var isServing: Bool { readySent && !muted && !stoppingSent }

    /// Whether systemd takes this process for the main one: not replaced, and not a successor
    /// still waiting for its predecessor to go (its messages would be refused under
    /// `NotifyAccess=main`). The watchdog is pinged only then.
    var isMain: Bool { !muted && !awaitsPredecessor }

    /// The application is ready (``Upgrader/ready()`` returned).
    mutating func processReady() -> [Action] {
        appReady = true
        return readyIfDue()
    }

    private mutating func readyIfDue() -> [Action] {
        guard appReady, !awaitsPredecessor, !readySent, !muted else { return [] }
        readySent = true
        var message = ["READY=1", status("serving")]
        // A predecessor that died before it could hand over MAINPID leaves it to this process
        // (accepted with NotifyAccess=all; harmless otherwise).
        if predecessorLost { message.insert("MAINPID=\(Syscall.processID)", at: 0) }
        return [.notify(message), .storeListeners]
    }

    mutating func observe(_ event: UpgradeEvent, now: ContinuousClock.Instant, monotonicMicroseconds: UInt64) -> [Action] {
        guard !muted else { return [] }
        switch event {
        case .started:
            reloading = true
            return [.notify(["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds)", status("upgrading")])]
        case .draining:
            drainStartedAt = now
            lastExtension = nil
            return []
        case .handingOver:
            drainStartedAt = nil
            return []
        case .replaced(let pid):
            muted = true
            return [.notify(["MAINPID=\(pid)"])]
        case .failed(let error):
            drainStartedAt = nil
            guard reloading else { return [] }
            reloading = false
            return [.notify(["READY=1", status("serving; the upgrade failed: \(error)")])]
        case .refused(let error):
            guard readySent, !stoppingSent else { return [] }
            return [.notify([status("serving; an upgrade was refused: \(error)")])]
        case .predecessorExited:
            awaitsPredecessor = false
            return readyIfDue()
        case .predecessorLost:
            if awaitsPredecessor { predecessorLost = true }
            awaitsPredecessor = false
            return readyIfDue()
        case .spawned, .successorReady, .handoverReceived, .tookOver, .stateMerged, .mergeFailed, .checkpointFailed:
            return []
        }
    }

    /// A final stop began.
    mutating func stopping() -> [Action] {
        guard !muted, !stoppingSent else { return [] }
        stoppingSent = true
        return [.notify(["STOPPING=1", status("stopping")])]
    }

    /// Extends the timeout while a drain has lasted an interval or more.
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        guard !muted, let started = drainStartedAt, now - started >= extensionInterval else { return [] }
        if let last = lastExtension, now - last < extensionInterval { return [] }
        lastExtension = now
        let grant = (extensionInterval * 3).microseconds
        return [.notify(["EXTEND_TIMEOUT_USEC=\(grant)", status("upgrading; draining")])]
    }
}

extension Duration {
    /// The duration in whole microseconds, as systemd's `*_USEC=` fields want it.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
