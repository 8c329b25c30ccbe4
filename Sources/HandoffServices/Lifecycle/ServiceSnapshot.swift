import Handoff
import HandoffSystem
/// One service as its runner sees it now.
public struct ServiceSnapshot: Sendable, Hashable, Codable {
    /// The service's name.
    public var name: String
    /// Where it stands.
    public var state: ServiceState
    /// Its last reported health.
    public var health: ServiceHealth
}
