import Handoff
import HandoffSystem
/// A service's health changed.
public struct HealthChange: Sendable, Hashable {
    /// The service whose health changed.
    public var service: String
    /// What it was.
    public var previous: ServiceHealth
    /// What it is now.
    public var current: ServiceHealth
}
