import FoundationEssentials
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// How this generation's state behaves, fixed at start (before the upgrader reads and removes
/// the handoff environment).
enum FixtureStateConfig {
    /// The state version this binary writes and reads. A successor whose plan is "old-reader"
    /// knows only version 1 while the first generation writes FIXTURE_STATE_VERSION (default 1),
    /// so it must refuse the state.
    static let version: Int = {
        let environment = ProcessInfo.processInfo.environment
        if environment["HANDOFF_CONTROL_FD"] != nil && FixtureSupport.readPlan(environment["FIXTURE_PLAN"]) == "old-reader" {
            return 1
        }
        return environment["FIXTURE_STATE_VERSION"].flatMap(Int.init) ?? 1
    }()
}

/// The fixture's handoff state: how many connections have been answered, across generations.
final class FixtureCounter: HandoffAware {
    struct State: Codable, Sendable {
        var count: Int
    }

    static let handoffLabel = "fixture.counter"
    static var handoffVersion: Int { FixtureStateConfig.version }
    private let count = Mutex(0)

    /// The next count, for the next answered connection.
    func next() -> Int { count.withLock { $0 += 1; return $0 } }

    var value: Int { count.withLock { $0 } }

    func handoffState() async throws -> State { State(count: value) }

    func resume(from state: State) async throws { count.withLock { $0 = state.count } }
}

/// A second piece of state, so that a handover carries more than one envelope.
final class FixtureNote: HandoffAware {
    struct State: Codable, Sendable {
        var text: String
    }

    static let handoffLabel = "fixture.note"
    static let handoffVersion = 1
    let text = Mutex("")

    func handoffState() async throws -> State { State(text: text.withLock { $0 }) }

    func resume(from state: State) async throws { text.withLock { $0 = state.text } }
}

/// Bulk state for the handoff benchmarks: FIXTURE_STATE_BYTES bytes of it.
final class FixtureBlob: HandoffAware {
    struct State: Codable, Sendable {
        var bytes: Data
    }

    static let handoffLabel = "fixture.blob"
    static let handoffVersion = 1
    let bytes: Mutex<Data>

    init(count: Int) {
        var data = Data(count: count)
        data.withUnsafeMutableBytes { raw in
            for index in stride(from: 0, to: raw.count, by: 4096) { raw[index] = UInt8(truncatingIfNeeded: index >> 12) }
        }
        bytes = Mutex(data)
    }

    var count: Int { bytes.withLock { $0.count } }

    func handoffState() async throws -> State { State(bytes: bytes.withLock { $0 }) }

    func resume(from state: State) async throws { bytes.withLock { $0 = state.bytes } }
}
