import Handoff
import HandoffSystem
/// How a ``Supervisor`` restarts its children. Every property has a default.
public struct SupervisorConfiguration: Sendable {
    /// Which children restart together (default ``SupervisionStrategy/oneForOne``).
    public var strategy: SupervisionStrategy = .oneForOne
    /// How many restarts it allows before it fails (default 3 within 5 s).
    public var intensity = RestartIntensity()
    /// The delay before each restart (default: the first at once, then 10 ms doubling up to
    /// 1 s, ± 20 %).
    public var backoff = Backoff()
    /// How long a child may take to stop gracefully before it is cancelled, unless its
    /// ``ChildSpec/stopTimeout`` says otherwise.
    public var stopTimeout: Duration = .seconds(5)

    /// Creates the default configuration.
    public init() {}

    /// A configuration with `strategy`, the rest default.
    /// - Parameter strategy: Which children restart together.
    public init(strategy: SupervisionStrategy) {
        self.strategy = strategy
    }

    func validate() throws(HandoffError) {
        try intensity.validate()
        try backoff.validate()
        guard stopTimeout >= .zero else { throw HandoffError(.invalidArgument, "supervisor: stopTimeout must not be negative, not \(stopTimeout)") }
    }
}
