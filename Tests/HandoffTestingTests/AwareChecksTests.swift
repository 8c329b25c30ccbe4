import Handoff
import HandoffTesting
import Testing
@testable import HandoffTestSupport

@Suite("HandoffAwareChecks", .offCooperativePool)
struct AwareChecksTests {
    @Test("a counter round-trips, migrates from version 1, and refuses version 3 state")
    func counterPasses() async throws {
        let checks = HandoffAwareChecks { NamedCounter() }
        let report = try await checks.run(source: NamedCounter(count: 41, names: ["a", "b"]), migrations: [
            try .init(version: 1, old: NamedCounter.StateV1(value: 7), expected: .init(count: 7, names: [])),
        ])
        #expect(report.passed == ["round-trip", "migration-from-v1", "newer-version-refused"])
    }

    @Test("a type whose resume drops data fails the round trip, saying what the fresh instance holds")
    func droppingResumeFails() async throws {
        let checks = HandoffAwareChecks { ForgetfulCounter() }
        let source = ForgetfulCounter(count: 3, names: ["kept?"])
        do {
            try await checks.checkRoundTrip(source)
            Issue.record("a resume that drops the names passed the round trip")
        } catch let failure as HandoffCheckFailure {
            #expect(failure.property == "round-trip")
            #expect(failure.reason.contains("after resume(from:)"), "\(failure)")
        }
        await #expect { try await checks.run(source: source) } throws: {
            ($0 as? HandoffCheckReport)?.failures.map(\.property) == ["round-trip"]
        }
    }

    @Test("a migration that does not give the expected state fails, naming the version")
    func wrongMigrationFails() async throws {
        let checks = HandoffAwareChecks { NamedCounter() }
        let sample = try HandoffAwareChecks<NamedCounter>.Sample(
            version: 1, old: NamedCounter.StateV1(value: 7), expected: .init(count: 8, names: []))
        await #expect { try await checks.checkMigration(sample) } throws: { error in
            guard let failure = error as? HandoffCheckFailure else { return false }
            return failure.property == "migration" && failure.reason.contains("from version 1")
        }
    }

    @Test("a caller-given equality is used: one that ignores the names lets the forgetful resume pass")
    func callerEquality() async throws {
        let checks = HandoffAwareChecks(equal: { $0.count == $1.count }) { ForgetfulCounter() }
        try await checks.checkRoundTrip(ForgetfulCounter(count: 3, names: ["dropped"]))
    }
}
