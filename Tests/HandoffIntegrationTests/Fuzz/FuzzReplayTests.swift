import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// Every seed of the fuzz corpora and every input a fuzzer ever crashed on (Fixtures/fuzz/),
/// through the same targets Scripts/fuzz/run.sh fuzzes: a violated invariant traps.
@Suite("Fuzz corpora replayed", .offCooperativePool(background: true))
struct FuzzReplayTests {
    static let root = FixtureFiles.url("fuzz")

    static func inputs(_ target: String) -> [URL] {
        [root.appendingPathComponent(target), root.appendingPathComponent("regressions/\(target)")].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
        }.sorted { $0.path < $1.path }
    }

    @Test("each target's seeds and regression inputs pass its invariants", arguments: FuzzTargets.all.keys.sorted())
    func replay(target: String) throws {
        let inputs = Self.inputs(target)
        #expect(!inputs.isEmpty, "no seeds for \(target) under \(Self.root.path)")
        for input in inputs {
            FuzzTargets.all[target]!(try [UInt8](Data(contentsOf: input)))
        }
    }

    @Test("the seeds are valid inputs: each decodes", arguments: ["frame", "envelope", "codec"])
    func seedsDecode(target: String) throws {
        for input in Self.inputs(target) where !input.path.contains("/regressions/") {
            let bytes = try [UInt8](Data(contentsOf: input))
            switch target {
            case "frame":
                var decoder = FrameDecoder()
                decoder.append(bytes)
                #expect(try decoder.next() != nil, "\(input.lastPathComponent)")
            case "envelope":
                _ = try Envelope(decoding: bytes)
            default:
                _ = try HandoffBinaryDecoder().decode(FuzzValue.self, from: bytes)
            }
        }
    }
}
