import Handoff
import Synchronization

/// A counter with names, version 2; version 1 stored only `value`.
final class NamedCounter: HandoffAware {
    struct State: Codable, Sendable, Equatable {
        var count: Int
        var names: [String]
    }

    /// The version 1 shape.
    struct StateV1: Codable, Sendable {
        var value: Int
    }

    static let handoffLabel = "named-counter"
    static let handoffVersion = 2

    let state: Mutex<State>
    let abandonments = Atomic<Int>(0)

    init(count: Int = 0, names: [String] = []) {
        state = Mutex(State(count: count, names: names))
    }

    var current: State { state.withLock { $0 } }

    func handoffState() async throws -> State { current }
    func resume(from state: State) async throws { self.state.withLock { $0 = state } }
    func handoffAbandoned() async { abandonments.add(1, ordering: .relaxed) }

    static func migrate(_ old: HandoffPayload, fromVersion: Int) throws -> State {
        guard fromVersion == 1 else { throw HandoffError(.migrationFailed, "no migration from \(fromVersion)") }
        return State(count: try old.decode(StateV1.self).value, names: [])
    }
}

/// The same state, whose resume keeps the count and drops the names.
final class ForgetfulCounter: HandoffAware {
    typealias State = NamedCounter.State
    static let handoffLabel = "forgetful-counter"
    static let handoffVersion = 1

    let state = Mutex(State(count: 0, names: []))

    init(count: Int = 0, names: [String] = []) {
        state.withLock { $0 = State(count: count, names: names) }
    }

    func handoffState() async throws -> State { state.withLock { $0 } }
    func resume(from state: State) async throws { self.state.withLock { $0.count = state.count } }
}

/// Version 3 of `NamedCounter`'s label, readable only by version 3 readers.
final class NewerCounter: HandoffAware {
    struct State: Codable, Sendable {
        var count: Int
        var names: [String]
        var total: Int
    }

    static let handoffLabel = NamedCounter.handoffLabel
    static let handoffVersion = 3

    let abandonments = Atomic<Int>(0)

    func handoffState() async throws -> State { State(count: 9, names: ["new"], total: 90) }
    func resume(from state: State) async throws {}
    func handoffAbandoned() async { abandonments.add(1, ordering: .relaxed) }
}

/// Plain state under another label.
final class Greeting: HandoffAware {
    struct State: Codable, Sendable { var text: String }
    static let handoffLabel = "greeting"
    static let handoffVersion = 1

    func handoffState() async throws -> State { State(text: "hello") }
    func resume(from state: State) async throws {}
}

/// Bytes, as much as a test wants.
final class Blob: HandoffAware {
    struct State: Codable, Sendable, Equatable { var bytes: [UInt8] }
    static let handoffLabel = "blob"
    static let handoffVersion = 1

    let state: Mutex<State>

    init(bytes: [UInt8] = []) { state = Mutex(State(bytes: bytes)) }

    var current: State { state.withLock { $0 } }

    func handoffState() async throws -> State { current }
    func resume(from state: State) async throws { self.state.withLock { $0 = state } }
}
