import HandoffSystem

/// Something that happened in an upgrade, as seen by this process.
///
/// Read them from ``Upgrader/events()``.
public enum UpgradeEvent: Sendable, CustomStringConvertible {
    /// An upgrade began (SIGHUP or ``Upgrader/upgrade()``).
    case started
    /// The new process was spawned.
    case spawned(pid: Int32)
    /// The new process reported `READY`: it accepts on the same listeners.
    case successorReady(pid: Int32)
    /// This process is draining: it stopped accepting and finishes in-flight work.
    case draining
    /// This process drained and is sending its connections and state to the new process.
    case handingOver(connections: Int, stateBytes: Int)
    /// This process received its predecessor's whole handover and is about to apply it.
    case handoverReceived(connections: Int, stateBytes: Int)
    /// The new process acknowledged the handover: this process has been replaced and exits.
    case replaced(by: Int32)
    /// The upgrade failed and this process serves on.
    case failed(HandoffError)
    /// An upgrade request was refused (one was in flight, or this process is not ready).
    case refused(HandoffError)
    /// This process took over from its predecessor.
    case tookOver(generation: Int, predecessor: Int32)
    /// The predecessor went away before it finished handing over; nothing partial was applied.
    case predecessorLost(HandoffError)
    /// The predecessor exited: this process is the only one serving and may itself upgrade.
    case predecessorExited
    /// State another process offered was claimed and merged into this process's instance
    /// `name` (`label/key`), and the claim committed (``HandoffMergeable``).
    case stateMerged(name: String, producer: Int32)
    /// An offer could not be claimed, merged or committed; the reason says which, and where
    /// the state is.
    case mergeFailed(HandoffError)
    /// A crash-durable checkpoint could not be written (``UpgraderConfiguration/checkpointInterval``);
    /// the previous one stands.
    case checkpointFailed(HandoffError)

    public var description: String {
        switch self {
        case .started: "upgrade-started"
        case .spawned(let pid): "spawned pid=\(pid)"
        case .successorReady(let pid): "successor-ready pid=\(pid)"
        case .draining: "draining"
        case .handingOver(let connections, let bytes): "handing-over connections=\(connections) state-bytes=\(bytes)"
        case .handoverReceived(let connections, let bytes): "handover-received connections=\(connections) state-bytes=\(bytes)"
        case .replaced(let pid): "replaced by=\(pid)"
        case .failed(let error): "upgrade-failed reason=\"\(error)\""
        case .refused(let error): "upgrade-refused reason=\"\(error)\""
        case .tookOver(let generation, let predecessor): "took-over generation=\(generation) predecessor=\(predecessor)"
        case .predecessorLost(let error): "predecessor-lost reason=\"\(error)\""
        case .predecessorExited: "predecessor-exited"
        case .stateMerged(let name, let producer): "state-merged name=\(name) producer=\(producer)"
        case .mergeFailed(let error): "merge-failed reason=\"\(error)\""
        case .checkpointFailed(let error): "checkpoint-failed reason=\"\(error)\""
        }
    }
}
