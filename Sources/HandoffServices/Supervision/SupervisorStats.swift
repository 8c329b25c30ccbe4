import Handoff
import HandoffSystem
/// A snapshot of a ``Supervisor`` (or ``WorkerGroup``): how many children run, how often they
/// were restarted and failed, and the last failure.
///
/// ``Supervisor/statsUpdates()`` streams a new snapshot at each change.
public struct SupervisorStats: Sendable, CustomStringConvertible {
    /// The supervisor's name.
    public var supervisor: String
    /// Children it has now: running, stopping, or waiting to restart.
    public var children: Int
    /// Children whose task runs.
    public var running: Int
    /// Restarts so far (a restart of several children at once counts once), over every run.
    public var restarts: Int
    /// Children that failed so far — threw, or were cancelled without being asked to stop —
    /// over every run.
    public var failures: Int
    /// The latest failure.
    public var lastFailure: ChildFailure?

    public var description: String {
        "\(supervisor): children=\(children) running=\(running) restarts=\(restarts) failures=\(failures)"
            + (lastFailure.map { " last-failure=\"\($0)\"" } ?? "")
    }

    /// Whether `other` differs in a count or the last failure.
    func differs(from other: SupervisorStats) -> Bool {
        children != other.children || running != other.running || restarts != other.restarts
            || failures != other.failures || lastFailure?.at != other.lastFailure?.at
    }
}
