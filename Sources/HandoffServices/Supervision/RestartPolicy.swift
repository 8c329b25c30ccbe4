import Handoff
import HandoffSystem
/// When a ``Supervisor`` starts a child again after it ended on its own.
///
/// A child the supervisor stops itself for a strategy's restart of a sibling starts again with
/// the others unless its policy is ``never``; one stopped by ``Supervisor/stopChild(named:)`` or
/// by the supervisor's own stop does not. A child that ends and is not restarted leaves the
/// supervisor.
public enum RestartPolicy: String, Sendable, Equatable {
    /// Always: after it failed and after it returned (Erlang's `permanent`).
    case always
    /// Only after it failed — threw, or was cancelled without being asked to stop (Erlang's
    /// `transient`).
    case onFailure
    /// Never (Erlang's `temporary`).
    case never
}
