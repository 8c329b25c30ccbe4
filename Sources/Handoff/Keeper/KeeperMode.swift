import HandoffSystem
/// Whether a process that starts an ``Upgrader`` stays behind as a keeper and runs the server as
/// its child: what lets an upgrade work where the process is PID 1 (a container without an init).
///
/// As PID 1 of a PID namespace, the process that hands over and exits would take every other
/// process in the namespace with it, its successor included. The keeper stays PID 1 instead: it
/// follows the current main process through the `MAINPID=` the upgrader sends, forwards signals
/// to it, reaps every child, and exits with the main process's status once it exits without a
/// successor. See <doc:RunningInAContainer>.
///
/// The environment variable `HANDOFF_KEEPER` (`auto`, `always`, `off`) overrides
/// ``UpgraderConfiguration/keeper``, so an image can be run either way without a rebuild.
public struct KeeperMode: Sendable, Hashable, CustomStringConvertible {
    /// A short stable name: `auto`, `always` or `off`.
    public let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// Keep when the process is PID 1 of its PID namespace at a first start (the default).
    public static let automatic = KeeperMode("auto")
    /// Keep at every first start, PID 1 or not. The keeper then makes itself the child
    /// subreaper (`PR_SET_CHILD_SUBREAPER`), so orphaned generations are still its children.
    public static let always = KeeperMode("always")
    /// Never keep. As PID 1, an upgrade is then refused (``HandoffError/Code/noKeeper``).
    public static let off = KeeperMode("off")

    /// The mode `HANDOFF_KEEPER` names.
    /// - Parameter text: `auto`, `always` or `off` (also `on`, `1`, `0`, `no`, `yes`).
    /// - Throws: ``HandoffError/Code/invalidArgument`` for anything else.
    public init(parsing text: String) throws(HandoffError) {
        switch text.lowercased() {
        case "auto", "automatic", "": self = .automatic
        case "always", "on", "1", "yes", "true": self = .always
        case "off", "0", "no", "false": self = .off
        default:
            throw HandoffError(.invalidArgument, "HANDOFF_KEEPER=\(text.debugDescription) is not one of auto, always, off")
        }
    }
}
