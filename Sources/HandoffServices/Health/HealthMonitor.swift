import Synchronization
import Handoff
import HandoffSystem

/// The health of every service of a ``ServiceRunner``: pushed by the services (active), polled
/// by the runner (passive), and streamed to whoever depends on them.
///
/// A service that depends on another subscribes to its changes:
///
/// ```swift
/// func run() async throws {
///     for await change in RunnerContext.current!.healthChanges(of: ["postgres"]) {
///         RunnerContext.reportHealth(change.current.status == .healthy ? .healthy : .degraded("postgres is \(change.current)"))
///     }
/// }
/// ```
public final class HealthMonitor: Sendable {
    private struct State {
        var health: [String: ServiceHealth] = [:]
        var next = 0
        var subscribers: [Int: (services: Set<String>, continuation: AsyncStream<HealthChange>.Continuation)] = [:]
    }

    private let state = Mutex(State())

    /// Creates a monitor where nothing has reported yet.
    public init() {}

    /// Records `health` for `service`; subscribers to `service` are told if it changed.
    /// - Parameters:
    ///   - health: The new health.
    ///   - service: The service's name.
    public func report(_ health: ServiceHealth, for service: String) {
        let (change, targets) = state.withLock { state -> (HealthChange?, [AsyncStream<HealthChange>.Continuation]) in
            let previous = state.health[service] ?? .healthy
            state.health[service] = health
            guard previous != health else { return (nil, []) }
            let targets = state.subscribers.values.filter { $0.services.contains(service) }.map(\.continuation)
            return (HealthChange(service: service, previous: previous, current: health), targets)
        }
        guard let change else { return }
        for target in targets { target.yield(change) }
    }

    /// The last health recorded for `service` (healthy if none was).
    /// - Parameter service: The service's name.
    /// - Returns: Its health.
    public func health(of service: String) -> ServiceHealth {
        state.withLock { $0.health[service] ?? .healthy }
    }

    /// Every service's last recorded health.
    public var all: [String: ServiceHealth] { state.withLock { $0.health } }

    /// The worst status recorded (healthy if nothing was).
    public var worst: ServiceHealth.Status {
        state.withLock { $0.health.values.map(\.status).max() ?? .healthy }
    }

    /// The changes of `services`' health from now on, each as it is reported.
    /// - Parameter services: The names of the services to follow.
    /// - Returns: A stream that ends when the subscriber stops iterating.
    public func changes(of services: [String]) -> AsyncStream<HealthChange> {
        let (stream, continuation) = AsyncStream<HealthChange>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = state.withLock { state in
            defer { state.next += 1 }
            state.subscribers[state.next] = (Set(services), continuation)
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription.
    func finish() {
        let continuations = state.withLock { state in
            defer { state.subscribers = [:] }
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in continuations { continuation.finish() }
    }
}
