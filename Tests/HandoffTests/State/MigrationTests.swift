import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

final class Tally: HandoffAware {
    typealias State = Shapes.V3
    static let handoffLabel = "tally"
    static let handoffVersion = 3
    let state = Mutex<Shapes.V3?>(nil)

    func handoffState() async throws -> State { state.withLock { $0! } }
    func resume(from state: State) async throws { self.state.withLock { $0 = state } }

    /// Stepwise: 1 → 2 → 3.
    static func migrate(_ old: HandoffPayload, fromVersion: Int) throws -> State {
        var v2: Shapes.V2
        switch fromVersion {
        case 1:
            let v1 = try old.decode(Shapes.V1.self)
            v2 = Shapes.V2(count: v1.count, unit: "items")
        case 2:
            v2 = try old.decode(Shapes.V2.self)
        default:
            throw HandoffError(.migrationFailed, "no path from version \(fromVersion)")
        }
        return Shapes.V3(total: Int64(v2.count), unit: v2.unit, history: [])
    }
}

@Suite("Versions and migrations")
struct MigrationTests {
    static func envelope<T: Encodable>(_ value: T, version: Int, oldest: Int? = nil) throws -> Envelope {
        let header = EnvelopeHeader(
            label: "tally", key: "", stateVersion: version, oldestReaderVersion: oldest ?? version, codec: .binary,
            createdAtNanoseconds: 0, producer: Envelope.Producer(pid: 1, host: "h", build: ""))
        return Envelope(header: header, payload: try StateCodec.encode(value, codec: .binary))
    }

    static func registry(with tally: Tally) throws -> HandoffRegistry {
        let registry = HandoffRegistry(producer: Envelope.Producer(pid: 1, host: "h", build: ""), maxPayloadLength: 1 << 20)
        try registry.register(tally)
        return registry
    }

    @Test("state written by versions 1 and 2 migrates stepwise to version 3", arguments: [1, 2])
    func migrationChain(from version: Int) async throws {
        let tally = Tally()
        let registry = try Self.registry(with: tally)
        let old: Envelope = version == 1
            ? try Self.envelope(Shapes.V1(count: 41), version: 1)
            : try Self.envelope(Shapes.V2(count: 41, unit: "items"), version: 2)
        let unclaimed = try await registry.apply([old])
        #expect(unclaimed.isEmpty)
        let state = try #require(tally.state.withLock { $0 })
        #expect(state.total == 41)
        #expect(state.unit == "items")
    }

    @Test("state that needs a newer reader is refused before anything is applied")
    func newerVersionRefused() async throws {
        let tally = Tally()
        let registry = try Self.registry(with: tally)
        let newer = try Self.envelope(Shapes.V3(total: 1, unit: "x", history: []), version: 4, oldest: 4)
        await #expect {
            try await registry.apply([newer])
        } throws: { error in
            (error as? HandoffError)?.code == .newerVersion
        }
        #expect(tally.state.withLock { $0 } == nil)
    }

    @Test("a newer writer that promises compatibility is read as today's shape")
    func forwardCompatible() async throws {
        let tally = Tally()
        let registry = try Self.registry(with: tally)
        let newer = try Self.envelope(Shapes.V3(total: 5, unit: "x", history: [1]), version: 4, oldest: 3)
        _ = try await registry.apply([newer])
        #expect(tally.state.withLock { $0 }?.total == 5)
    }

    @Test("one undecodable envelope among several leaves every instance untouched")
    func allOrNothing() async throws {
        let tally = Tally()
        let registry = try Self.registry(with: tally)
        final class Other: HandoffAware {
            typealias State = Int
            static let handoffLabel = "other"
            static let handoffVersion = 1
            let value = Mutex(0)
            func handoffState() async throws -> Int { value.withLock { $0 } }
            func resume(from state: Int) async throws { value.withLock { $0 = state } }
        }
        let other = Other()
        try registry.register(other)
        let good = Envelope(header: EnvelopeHeader(label: "other", key: "", stateVersion: 1, oldestReaderVersion: 1, codec: .binary,
                                                   createdAtNanoseconds: 0, producer: Envelope.Producer(pid: 1, host: "h", build: "")),
                            payload: try StateCodec.encode(7, codec: .binary))
        let bad = Envelope(header: try Self.envelope(Shapes.V1(count: 1), version: 3).header, payload: [0xFF, 0xFF])
        await #expect(throws: HandoffError.self) { try await registry.apply([good, bad]) }
        #expect(other.value.withLock { $0 } == 0)
        #expect(tally.state.withLock { $0 } == nil)
    }

    @Test("a label and key are registered once")
    func duplicateRegistration() throws {
        let registry = try Self.registry(with: Tally())
        #expect {
            try registry.register(Tally())
        } throws: { error in
            (error as? HandoffError)?.code == .duplicateRegistration
        }
    }
}
