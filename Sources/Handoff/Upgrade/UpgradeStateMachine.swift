import HandoffSystem

/// Where a process stands in the upgrade protocol. Mutating methods decide; the ``Upgrader``
/// performs what they return, outside the lock.
package struct UpgradeStateMachine: Sendable {
    package enum State: Sendable, Equatable {
        /// Started; ``Upgrader/ready()`` not yet called.
        case starting
        /// A successor process that said `READY` and waits for its predecessor's handover.
        case awaitingHandover
        /// Took over; the predecessor has not exited yet.
        case awaitingPredecessorExit
        /// The only process serving; may upgrade.
        case idle
        /// An upgrade is in flight.
        case upgrading
        /// A successor took over.
        case replaced(Int32)
    }

    package private(set) var state: State = .starting
    /// Whether the state this process could inherit has been applied (or found absent): until
    /// then there is nothing whole to hand on.
    private(set) var stateSettled = false

    mutating func settleState() { stateSettled = true }

    enum ReadyAction: Equatable {
        case sendReady
        case writePIDFile
        case refuse(HandoffError)
    }

    mutating func ready(hasPredecessor: Bool) -> ReadyAction {
        guard state == .starting else {
            return .refuse(HandoffError(.invalidArgument, "ready() was already called"))
        }
        if hasPredecessor {
            state = .awaitingHandover
            return .sendReady
        }
        state = .idle
        return .writePIDFile
    }

    mutating func handoverFinished() {
        if state == .awaitingHandover { state = .awaitingPredecessorExit }
    }

    mutating func predecessorGone() {
        if state == .awaitingHandover || state == .awaitingPredecessorExit { state = .idle }
    }

    /// Whether an upgrade may start now; if so the state moves to `.upgrading`.
    mutating func requestUpgrade() -> HandoffError? {
        switch state {
        case .idle where !stateSettled:
            return HandoffError(.notReady, "this process is still restoring its state")
        case .idle:
            state = .upgrading
            return nil
        case .upgrading:
            return HandoffError(.upgradeInProgress, "an upgrade is already in progress; this request was not queued")
        case .starting:
            return HandoffError(.notReady, "this process has not called ready() yet")
        case .awaitingHandover, .awaitingPredecessorExit:
            return HandoffError(.notReady, "this process's predecessor has not exited yet")
        case .replaced(let pid):
            return HandoffError(.alreadyReplaced, "this process was already replaced by pid \(pid)")
        }
    }

    mutating func upgradeFailed() {
        if state == .upgrading { state = .idle }
    }

    mutating func upgradeCommitted(to pid: Int32) {
        state = .replaced(pid)
    }
}
