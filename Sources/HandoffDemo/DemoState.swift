import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's in-memory state: the `/count` counter and the `/kv` map. It survives upgrades
/// (handed to the successor) and stops (offered to the store, claimed at the next start, or
/// merged by an instance running on the same store).
///
/// Bounded, so that a handover stays small: at most ``maximumKeys`` keys of at most
/// ``maximumKeyBytes`` bytes, each value at most ``maximumValueBytes`` bytes of UTF-8.
/// Shared between the event loop thread and the upgrader behind a `Mutex`.
final class DemoState: HandoffMergeable {
    /// What is handed over.
    struct State: Codable, Sendable, Equatable {
        /// The last value `GET /count` answered.
        var count = 0
        /// The `/kv` map.
        var values: [String: String] = [:]
    }

    /// State handed over that breaks the bounds; ``resume(from:)`` refuses it.
    struct InvalidState: Error, CustomStringConvertible {
        var description: String
    }

    /// What ``store(_:forKey:)`` did.
    enum StoreResult: Equatable {
        case stored
        /// The map already holds ``maximumKeys`` other keys.
        case full
    }

    static let handoffLabel = "handoff-demo.state"
    /// A running instance takes over what a stopped one offered: two instances on one store
    /// end with the sum of their counts.
    static let handoffFollowsOffers = true
    static let handoffVersion = 1

    static let maximumKeys = 1000
    static let maximumKeyBytes = 256
    static let maximumValueBytes = 64 * 1024

    private let contents = Mutex(State())

    /// Increments the counter.
    /// - Returns: The new value.
    func incrementCount() -> Int {
        contents.withLock { state in
            state.count += 1
            return state.count
        }
    }

    /// The counter's current value.
    var count: Int { contents.withLock { $0.count } }

    /// The counter and the number of keys, for the logs.
    var summary: String {
        contents.withLock { "count=\($0.count) keys=\($0.values.count)" }
    }

    /// The value stored under `key`, if any.
    func value(forKey key: String) -> String? {
        contents.withLock { $0.values[key] }
    }

    /// Stores `value` under `key`, replacing any value there. The caller checks the sizes.
    func store(_ value: String, forKey key: String) -> StoreResult {
        contents.withLock { state in
            if state.values[key] == nil && state.values.count >= Self.maximumKeys { return .full }
            state.values[key] = value
            return .stored
        }
    }

    // MARK: HandoffAware

    func handoffState() async throws -> State {
        contents.withLock { $0 }
    }

    /// The state of an instance that stopped while this one runs (a rolling deploy): counts
    /// add, and the maps unite — this instance's value wins for a key both hold, and keys past
    /// ``maximumKeys`` are left out.
    /// - Throws: ``InvalidState`` if it breaks the bounds; nothing is changed then.
    func merge(_ other: State) async throws {
        try Self.check(other)
        contents.withLock { state in
            state.count += other.count
            for (key, value) in other.values.sorted(by: { $0.key < $1.key })
            where state.values[key] == nil && state.values.count < Self.maximumKeys {
                state.values[key] = value
            }
        }
    }

    /// Replaces the state with the one handed over.
    /// - Throws: ``InvalidState`` if it breaks the bounds; nothing is changed then.
    func resume(from state: State) async throws {
        try Self.check(state)
        contents.withLock { $0 = state }
    }

    private static func check(_ state: State) throws {
        if state.count < 0 { throw InvalidState(description: "negative count \(state.count)") }
        if state.values.count > Self.maximumKeys {
            throw InvalidState(description: "\(state.values.count) keys; at most \(Self.maximumKeys)")
        }
        for (key, value) in state.values
        where key.utf8.isEmpty || key.utf8.count > Self.maximumKeyBytes
            || value.utf8.count > Self.maximumValueBytes
        {
            throw InvalidState(
                description: "key \(key.prefix(32).debugDescription) or its value is out of bounds")
        }
    }
}
