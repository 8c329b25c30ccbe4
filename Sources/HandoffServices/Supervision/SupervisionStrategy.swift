import Handoff
import HandoffSystem
/// Which children a ``Supervisor`` restarts when one of them has to be restarted.
public enum SupervisionStrategy: String, Sendable, Equatable {
    /// Only the child that ended: the children are independent of one another.
    case oneForOne
    /// Every child: the others are stopped (in reverse start order), then all start again in
    /// order. For children that only work together.
    case oneForAll
    /// The child that ended and every child started after it: those are stopped (in reverse
    /// order), then started again in order. For children that depend on the ones before them.
    case restForOne
}
