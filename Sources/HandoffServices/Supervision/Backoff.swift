import Handoff
import HandoffSystem
/// How long a ``Supervisor`` waits before it restarts a child: exponential, capped, with jitter.
///
/// The n-th restart of a child within the ``RestartIntensity/period`` waits nothing while
/// n ≤ ``immediateRestarts``, then ``initial`` × ``multiplier``^(n − ``immediateRestarts`` − 1),
/// capped at ``maximum``, each delay spread at random by ± ``jitter`` of itself so that workers
/// that failed together do not restart in step. A child that has not been restarted for a
/// whole period starts over at n = 1.
///
/// ```swift
/// var configuration = SupervisorConfiguration()
/// configuration.backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
/// ```
public struct Backoff: Sendable, Equatable {
    /// The first delay.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    /// The factor from one delay to the next; at least 1.
    public var multiplier: Double
    /// The fraction, 0 to 1, by which a delay may randomly be shorter or longer.
    public var jitter: Double
    /// How many restarts in a row happen at once, before delays begin.
    public var immediateRestarts: Int

    /// - Parameters:
    ///   - initial: The first delay (default 10 ms).
    ///   - maximum: The cap (default 1 s).
    ///   - multiplier: The growth factor (default 2).
    ///   - jitter: The random spread, as a fraction of the delay (default 0.2).
    ///   - immediateRestarts: Restarts in a row with no delay (default 1: an isolated failure
    ///     is restarted at once).
    public init(initial: Duration = .milliseconds(10), maximum: Duration = .seconds(1), multiplier: Double = 2, jitter: Double = 0.2, immediateRestarts: Int = 1) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.immediateRestarts = immediateRestarts
    }

    /// No delay, ever.
    public static let none = Backoff(initial: .zero, maximum: .zero, multiplier: 1, jitter: 0, immediateRestarts: 0)

    /// The delay before the `restart`-th restart in a row.
    /// - Parameters:
    ///   - restart: 1 for the first restart within the period.
    ///   - random: A number in `0..<1` that picks the jitter.
    /// - Returns: The delay, zero or more.
    public func delay(beforeRestart restart: Int, random: Double) -> Duration {
        let step = restart - immediateRestarts
        guard step >= 1, initial > .zero, maximum > .zero else { return .zero }
        let initialSeconds = Self.seconds(initial)
        let maximumSeconds = Self.seconds(maximum)
        var seconds = initialSeconds
        for _ in 1..<step where seconds < maximumSeconds { seconds *= multiplier }
        seconds = min(seconds, maximumSeconds)
        seconds *= 1 + jitter * (2 * random - 1)
        return .nanoseconds(Int64(max(0, seconds) * 1e9))
    }

    func validate() throws(HandoffError) {
        guard initial >= .zero, maximum >= .zero else { throw HandoffError(.invalidArgument, "backoff: delays must not be negative (initial \(initial), maximum \(maximum))") }
        guard maximum >= initial else { throw HandoffError(.invalidArgument, "backoff: maximum \(maximum) is below initial \(initial)") }
        guard multiplier >= 1, multiplier.isFinite else { throw HandoffError(.invalidArgument, "backoff: multiplier must be at least 1, not \(multiplier)") }
        guard (0...1).contains(jitter) else { throw HandoffError(.invalidArgument, "backoff: jitter must be between 0 and 1, not \(jitter)") }
        guard immediateRestarts >= 0 else { throw HandoffError(.invalidArgument, "backoff: immediateRestarts must not be negative, not \(immediateRestarts)") }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
