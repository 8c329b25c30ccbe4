#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport

/// Three shapes of one kind of state, as three releases of a program would have them.
enum Shapes {
    struct V1: Codable, Sendable { var count: Int }
    struct V2: Codable, Sendable { var count: Int; var unit: String }
    struct V3: Codable, Sendable { var total: Int64; var unit: String; var history: [Int64] }
}

/// The sample envelopes under `Fixtures/envelopes`, and envelopes made the way they were.
enum SampleEnvelopes {
    static let directory = FixtureFiles.url("envelopes")

    static func envelope<T: Encodable>(_ value: T, version: Int, codec: HandoffCodec = .binary) throws -> Envelope {
        let header = EnvelopeHeader(
            label: "tally", key: "", stateVersion: version, oldestReaderVersion: version, codec: codec,
            createdAtNanoseconds: 1_763_700_000_000_000_000, producer: Envelope.Producer(pid: 4242, host: "fixture-host", build: "fixture-build"))
        return Envelope(header: header, payload: try StateCodec.encode(value, codec: codec))
    }
}
#endif
