import Handoff
import HandoffSystem
/// A monotonically increasing count in a ``MetricsRegistry``, carried across upgrades.
///
/// ```swift
/// let requests = runner.metrics.counter("app_requests_total", help: "Requests answered.")
/// requests.increment(labels: ["route": "/count"])
/// ```
public struct CounterMetric: Sendable {
    let registry: MetricsRegistry
    /// The metric's name, ending in `_total`.
    public let name: String

    /// Adds `amount` to the sample with `labels`.
    /// - Parameters:
    ///   - amount: How much to add; negative amounts are ignored (counters only go up).
    ///   - labels: The sample's labels; names must match `[a-zA-Z_][a-zA-Z0-9_]*`.
    public func increment(by amount: Double = 1, labels: [String: String] = [:]) {
        guard amount >= 0 else { return }
        registry.add(amount, to: name, labels: labels)
    }

    /// The value of the sample with `labels` (0 if it was never incremented).
    /// - Parameter labels: The sample's labels.
    /// - Returns: Its value.
    public func value(labels: [String: String] = [:]) -> Double {
        registry.value(of: name, labels: labels)
    }
}
