import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The sample envelopes under `Fixtures/envelopes`, written by an earlier build: the format must
/// keep reading them. (Set HANDOFF_WRITE_FIXTURES=1 and run this suite to write them anew after
/// a deliberate format change.)
@Suite("Sample envelopes in Fixtures", .serialized, .offCooperativePool)
struct EnvelopeFixtureTests {
    /// What each file holds, made from values: a current envelope, an older one, the current
    /// one in JSON, and the current one with one payload byte flipped.
    static func expected() throws -> [String: [UInt8]] {
        let current = try SampleEnvelopes.envelope(Shapes.V3(total: 41, unit: "items", history: [1, 2, 3]), version: 3).encoded()
        var corrupt = current
        corrupt[corrupt.count - 6] ^= 0x10
        return [
            "tally-v3.hoff": current,
            "tally-v1.hoff": try SampleEnvelopes.envelope(Shapes.V1(count: 41), version: 1).encoded(),
            "tally-v3-json.hoff": try SampleEnvelopes.envelope(Shapes.V3(total: 41, unit: "items", history: [1, 2, 3]), version: 3, codec: .json).encoded(),
            "tally-corrupt.hoff": corrupt,
        ]
    }

    @Test("the sample files are what this build would write: the format has not drifted")
    func formatIsStable() throws {
        let expected = try Self.expected()
        if ProcessInfo.processInfo.environment["HANDOFF_WRITE_FIXTURES"] == "1" {
            for (name, bytes) in expected { try Data(bytes).write(to: SampleEnvelopes.directory.appendingPathComponent(name)) }
        }
        for (name, bytes) in expected {
            let stored = try [UInt8](Data(contentsOf: SampleEnvelopes.directory.appendingPathComponent(name)))
            #expect(stored == bytes, "\(name) differs from what this build writes")
        }
    }

    @Test("current, older and JSON samples restore a version-3 reader; the corrupt one is refused", arguments: [
        ("tally-v3.hoff", true), ("tally-v1.hoff", true), ("tally-v3-json.hoff", true), ("tally-corrupt.hoff", false),
    ])
    func samplesRestore(name: String, readable: Bool) async throws {
        let bytes = try [UInt8](Data(contentsOf: SampleEnvelopes.directory.appendingPathComponent(name)))
        guard readable else {
            #expect {
                try Envelope(decoding: bytes)
            } throws: { error in
                (error as? HandoffError)?.code == .checksumMismatch
            }
            return
        }
        let tally = Tally()
        let registry = HandoffRegistry(producer: Envelope.Producer(pid: 1, host: "h", build: ""), maxPayloadLength: 1 << 20)
        try registry.register(tally)
        _ = try await registry.apply([try Envelope(decoding: bytes)])
        #expect(tally.state.withLock { $0 }?.total == 41)
    }
}
