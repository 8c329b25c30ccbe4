import Handoff
import HandoffSystem
/// A service moved to another state.
public struct ServiceStateChange: Sendable, Hashable {
    /// The service's name.
    public var service: String
    /// Its position in the runner's list.
    public var index: Int
    /// The state it is in now.
    public var state: ServiceState
}
