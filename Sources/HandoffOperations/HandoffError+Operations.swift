import Handoff
import HandoffServices
import HandoffSystem

// The codes of the operations layer: the control socket.
extension HandoffError.Code {
    // Control
    /// A control-socket client runs as a user other than the server's (and is not root), or
    /// the operating system refused access to the socket.
    public static let permissionDenied = Self("permissionDenied")
}
