/// One service as its runner sees it now.
public struct ServiceSnapshot: Sendable, Hashable, Codable {
    /// The service's name.
    public var name: String
    /// Where it stands.
    public var state: ServiceState
    /// Its last reported health.
    public var health: ServiceHealth
}

/// A service moved to another state.
public struct ServiceStateChange: Sendable, Hashable {
    /// The service's name.
    public var service: String
    /// Its position in the runner's list.
    public var index: Int
    /// The state it is in now.
    public var state: ServiceState
}
