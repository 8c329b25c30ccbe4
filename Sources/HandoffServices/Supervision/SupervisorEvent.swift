import Handoff
import HandoffSystem
/// What the ``Supervisor``'s coordinator hears about: its children's tasks ending, its timers,
/// stop requests, and children added or removed.
enum SupervisorEvent: Sendable {
    /// A child's task ended: returned (`nil`) or threw.
    case exited(child: Int, epoch: Int, error: (any Error)?)
    /// A one-for-one child's backoff delay passed.
    case restartDue(child: Int, epoch: Int)
    /// A group restart's backoff delay passed.
    case groupRestartDue(token: Int)
    /// A child asked to stop is still running at its deadline.
    case stopDeadline(child: Int, epoch: Int)
    case stopRequested
    case cancelRequested
    case add(ChildSpec)
    case remove(String)
}
