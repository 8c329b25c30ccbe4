import Handoff
import HandoffTesting
import Testing
@testable import HandoffTestSupport

@Suite("UpgradeHarness", .offCooperativePool(background: true))
struct UpgradeHarnessTests {
    @Test("a counter's state is carried to the new instance; state nobody takes is reported, not applied")
    func carriesCounter() async throws {
        let old = NamedCounter(count: 41, names: ["x"]), new = NamedCounter()
        let handover = try await UpgradeHarness().handOver(from: [old, Greeting()], to: [new])
        #expect(handover.restored == ["named-counter/"])
        #expect(handover.unclaimed.map(\.label) == ["greeting"])
        #expect(handover.stateBytes > 0)
        #expect(new.current == NamedCounter.State(count: 41, names: ["x"]))
        #expect(old.abandonments.load(ordering: .relaxed) == 0)
    }

    @Test("state a new instance cannot read is refused with newerVersion: nothing applied, the old side owns its state again")
    func refusalRollsBack() async throws {
        let old = NewerCounter(), new = NamedCounter(count: 5)
        await #expect { try await UpgradeHarness().handOver(from: [old], to: [new]) } throws: {
            ($0 as? HandoffError)?.code == .newerVersion
        }
        #expect(new.current == NamedCounter.State(count: 5, names: []))
        #expect(old.abandonments.load(ordering: .relaxed) == 1)
    }

    @Test("state over the size cap is refused with envelopeTooLarge before anything is applied")
    func sizeCap() async throws {
        let old = NamedCounter(count: 1, names: [String](repeating: "long name", count: 100)), new = NamedCounter()
        await #expect { try await UpgradeHarness(maxStateSize: 64).handOver(from: [old], to: [new]) } throws: {
            ($0 as? HandoffError)?.code == .envelopeTooLarge
        }
        #expect(new.current == NamedCounter.State(count: 0, names: []))
        #expect(old.abandonments.load(ordering: .relaxed) == 1)
    }

    @Test("state larger than one frame crosses the channel in several STATE frames and arrives whole")
    func multiFrameState() async throws {
        // 100 KB in frames of at most 4 KiB: about 25 STATE frames; marked so a misplaced chunk shows.
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        let old = Blob(bytes: bytes), new = Blob()
        let handover = try await UpgradeHarness(maxFramePayload: 4096).handOver(from: [old], to: [new])
        #expect(handover.restored == ["blob/"])
        #expect(handover.stateBytes >= bytes.count)
        #expect(new.current.bytes == bytes)
    }
}
