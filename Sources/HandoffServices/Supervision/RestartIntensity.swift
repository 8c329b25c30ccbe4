import Handoff
import HandoffSystem
/// How often a ``Supervisor`` may restart its children before it gives up: at most
/// ``maxRestarts`` restarts within any ``period``.
///
/// One more and the supervisor stops every child and fails with
/// ``HandoffError/Code/restartIntensityExceeded`` — to its parent supervisor, which applies its
/// own policy, or to its ``ServiceRunner``, for which the error is fatal. A restart of several
/// children at once (``SupervisionStrategy/oneForAll``, ``SupervisionStrategy/restForOne``)
/// counts once.
public struct RestartIntensity: Sendable, Equatable {
    /// Restarts allowed within ``period``; 0 makes any restart escalate.
    public var maxRestarts: Int
    /// The sliding window restarts are counted in.
    public var period: Duration

    /// - Parameters:
    ///   - maxRestarts: Restarts allowed within `period` (default 3).
    ///   - period: The window (default 5 s).
    public init(maxRestarts: Int = 3, within period: Duration = .seconds(5)) {
        self.maxRestarts = maxRestarts
        self.period = period
    }

    func validate() throws(HandoffError) {
        guard maxRestarts >= 0 else { throw HandoffError(.invalidArgument, "restart intensity: maxRestarts must not be negative, not \(maxRestarts)") }
        guard period > .zero else { throw HandoffError(.invalidArgument, "restart intensity: period must be positive, not \(period)") }
    }
}
