import Handoff
import HandoffServices
import HandoffSystem
/// Where and how a ``ControlServer`` listens.
public struct ControlConfiguration: Sendable {
    /// The socket's path. Its directory is made with mode 0700 if missing, and must belong to
    /// this user and be closed to everyone else; the socket gets mode 0600.
    public var socketPath: String
    /// How long a client may take to send its request.
    public var requestTimeout: Duration = .seconds(5)
    /// The largest request accepted, in bytes.
    public var maxRequestSize: Int = 64 << 10
    /// The name the socket passes to successors under, in ``Descriptors``.
    public var descriptorName: String = "handoff-control"

    /// Creates a configuration.
    /// - Parameter socketPath: The socket's path; see ``defaultSocketPath(for:)``.
    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Where a program's control socket lives by default: `control.sock` in a directory next to
    /// its default state store (``DirectoryStore/defaultDirectory(for:)`` with `.control`
    /// appended), such as `/run/user/1000/handoff/myapp.control/control.sock`.
    /// - Parameter program: The program's name (`handoffctl --program` takes the same).
    public static func defaultSocketPath(for program: String) -> String {
        DirectoryStore.defaultDirectory(for: program) + ".control/control.sock"
    }
}
