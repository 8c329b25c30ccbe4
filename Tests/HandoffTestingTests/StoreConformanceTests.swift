import Foundation
import Handoff
import HandoffTesting
import Testing
@testable import HandoffTestSupport

@Suite("HandoffStoreConformance", .offCooperativePool)
struct StoreConformanceTests {
    @Test("a DirectoryStore, with a second instance on its directory as the other process, keeps every promise")
    func directoryStoreConforms() async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-conformance-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let path = parent + "/store"

        let suite = HandoffStoreConformance(makePeer: { _ in try DirectoryStore(directory: path) }) {
            try DirectoryStore(directory: path)
        }
        let report = try await suite.run()
        #expect(report.passed == HandoffStoreConformance.Property.allCases.map(\.rawValue), "\(report)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? ["?"]).isEmpty, "every check removes what it offered")
    }

    @Test("a correct store in memory passes; the checks it cannot support are skipped, not failed")
    func memoryStoreConforms() async throws {
        let report = try await HandoffStoreConformance(makePeer: { $0 }) { MemoryStore() }.run()
        #expect(report.failures.isEmpty)
        let skipped = report.results.filter { if case .skipped = $0.outcome { true } else { false } }.map(\.property)
        #expect(skipped == ["notification", "listing"])
    }

    @Test("a broken store fails exactly the properties it breaks, each by name",
          arguments: [
              (MemoryStore.Fault.claimNotExclusive, ["claim-is-exclusive", "concurrent-claimers-one-wins"]),
              (.commitLeavesOffer, ["later-offers-are-kept-oldest-first", "commit-removes", "late-commit-is-claim-lost"]),
              (.lateCommitSucceeds, ["late-commit-is-claim-lost"]),
          ])
    func brokenStoreFails(fault: MemoryStore.Fault, broken: [String]) async throws {
        let suite = HandoffStoreConformance(makePeer: { $0 }) { MemoryStore(fault: fault) }
        let report = await suite.evaluate()
        #expect(report.failures.map(\.property) == broken, "\(report)")
        for failure in report.failures { #expect(!failure.reason.isEmpty) }

        await #expect { try await suite.run() } throws: { ($0 as? HandoffCheckReport)?.failures.map(\.property) == broken }
        let first = try #require(HandoffStoreConformance.Property(rawValue: broken[0]))
        await #expect { try await suite.check(first) } throws: { ($0 as? HandoffCheckFailure)?.property == broken[0] }
    }

    @Test("the failure says what was seen: a second claimer got the held offer")
    func failureReason() async throws {
        let suite = HandoffStoreConformance { MemoryStore(fault: .claimNotExclusive) }
        do {
            try await suite.check(.claimIsExclusive)
            Issue.record("a non-exclusive claim passed")
        } catch let failure as HandoffCheckFailure {
            #expect(failure.property == "claim-is-exclusive")
            #expect(failure.reason.contains("while another claimer holds the offer"), "\(failure)")
        }
    }
}
