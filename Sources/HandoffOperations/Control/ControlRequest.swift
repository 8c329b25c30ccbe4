import Handoff
import HandoffServices
import HandoffSystem
/// What an operator asks a running process over its control socket (``ControlServer``).
///
/// On the wire: one ``FrameType/controlRequest`` frame whose payload is this, as JSON:
/// `{"command":"status"}` or `{"command":"upgrade"}`.
public struct ControlRequest: Sendable, Hashable, Codable {
    /// The commands a process answers.
    public enum Command: String, Sendable, Hashable, Codable, CaseIterable {
        /// Where the process stands: ``ControlStatus``.
        case status
        /// Upgrade now, and answer once the upgrade is over: the new pid, or why it failed.
        case upgrade
    }

    /// What to do.
    public var command: Command

    /// Creates a request.
    public init(_ command: Command) {
        self.command = command
    }
}
