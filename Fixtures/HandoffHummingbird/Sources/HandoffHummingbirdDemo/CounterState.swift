import Handoff
import Synchronization

/// The demo's state: the `/count` counter and the `/kv` map, handed to each successor.
final class CounterState: HandoffAware {
    struct State: Codable, Sendable, Equatable {
        var count = 0
        var values: [String: String] = [:]
    }

    /// State handed over that breaks the bounds.
    struct InvalidState: Error, CustomStringConvertible {
        var description: String
    }

    static let handoffLabel = "handoff-hummingbird.state"
    static let handoffVersion = 1
    static let maximumKeys = 1000

    private let contents = Mutex(State())

    /// Increments the counter and returns its new value.
    func incrementCount() -> Int {
        contents.withLock { state in
            state.count += 1
            return state.count
        }
    }

    func value(forKey key: String) -> String? { contents.withLock { $0.values[key] } }

    /// Stores `value`; `false` if the map is full.
    func store(_ value: String, forKey key: String) -> Bool {
        contents.withLock { state in
            if state.values[key] == nil && state.values.count >= Self.maximumKeys { return false }
            state.values[key] = value
            return true
        }
    }

    func handoffState() async throws -> State { contents.withLock { $0 } }

    func resume(from state: State) async throws {
        guard state.count >= 0, state.values.count <= Self.maximumKeys else {
            throw InvalidState(description: "count \(state.count) or \(state.values.count) keys out of bounds")
        }
        contents.withLock { $0 = state }
    }
}
