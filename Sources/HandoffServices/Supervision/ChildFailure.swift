import Handoff
import HandoffSystem
/// A supervised child's failure, as ``SupervisorStats/lastFailure`` reports it.
public struct ChildFailure: Sendable, CustomStringConvertible {
    /// The child's name.
    public var child: String
    /// What it threw.
    public var error: any Error
    /// When the supervisor saw it end.
    public var at: ContinuousClock.Instant

    public var description: String { "\(child): \(error)" }
}
