import Handoff
import HandoffSystem
/// The upgrade counters of a process, fed from ``Upgrader/events()``.
struct UpgradeMetrics: Sendable {
    let upgrades: CounterMetric
    let failures: CounterMetric
    let refusals: CounterMetric
    let stateBytes: CounterMetric
    let connections: CounterMetric

    init(registry: MetricsRegistry, generation: Int) {
        registry.gauge("handoff_generation", help: "The upgrade generation of this process (1 for a fresh start).") { Double(generation) }
        upgrades = registry.counter("handoff_upgrades_total", help: "Upgrades completed: successors that took over.")
        failures = registry.counter("handoff_upgrade_failures_total", help: "Upgrades that failed, the old process serving on, by reason.")
        refusals = registry.counter("handoff_upgrade_refusals_total", help: "Upgrade requests refused (one in flight, not ready).")
        stateBytes = registry.counter("handoff_handoff_state_bytes_total", help: "Bytes of state received from predecessors.")
        connections = registry.counter("handoff_handoff_connections_total", help: "Connections received from predecessors.")
    }

    func record(_ event: UpgradeEvent) {
        switch event {
        case .tookOver:
            upgrades.increment()
        case .failed(let error):
            failures.increment(labels: ["reason": error.code.name])
        case .refused(let error):
            refusals.increment(labels: ["reason": error.code.name])
        case .handoverReceived(let count, let bytes):
            stateBytes.increment(by: Double(bytes))
            connections.increment(by: Double(count))
        default:
            break
        }
    }
}
