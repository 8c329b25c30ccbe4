import Handoff
import HandoffSystem
/// What the coordinator does next.
enum SupervisorAction: Sendable {
    /// Starts a child's task.
    case start(child: Int, epoch: Int, ChildSpec)
    /// Asks a child to stop gracefully, cancelling it at `deadline` from now.
    case stop(child: Int, epoch: Int, deadline: Duration)
    /// Cancels a child now.
    case abort(child: Int, epoch: Int)
    /// Posts ``SupervisorEvent/restartDue(child:epoch:)`` after `delay`.
    case scheduleRestart(child: Int, epoch: Int, delay: Duration)
    /// Posts ``SupervisorEvent/groupRestartDue(token:)`` after `delay`.
    case scheduleGroupRestart(token: Int, delay: Duration)
    /// A child failed: reported as a transient failure to the runner, counted in metrics.
    case failed(child: String, error: any Error)
    /// Counted in metrics.
    case restarted
    /// Every child has stopped: the run ends, throwing `error` if given.
    case finish((any Error)?)
}
