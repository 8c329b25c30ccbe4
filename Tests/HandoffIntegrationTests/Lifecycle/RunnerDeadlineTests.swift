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

/// Deadlines that always end: a service that ignores its stop and its cancellation, or whose
/// initialize() never returns, in a real process.
@Suite("ServiceRunner deadlines in a real process", .serialized, .offCooperativePool)
struct RunnerDeadlineTests {
    static let program = "handoff-runner-fixture"

    @Test("SIGTERM ends a process whose service ignores stop and cancellation within stop deadline + grace, exit 1, the service named", .timeLimit(.minutes(1)))
    func stuckService() throws {
        let process = try FixtureProcess(program: Self.program, environment: [
            "FIXTURE_WORKER": "stuck", "FIXTURE_STOP_TIMEOUT_MS": "500", "FIXTURE_GRACE_MS": "500",
        ])
        try process.waitFor("service worker running", generation: 1)
        let pid = try process.pid(ofGeneration: 1, marker: "admin port=")
        let signalled = ContinuousClock.now
        #expect(kill(pid, SIGTERM) == 0)
        try process.waitUntilGone(pid, timeout: .seconds(10))
        let took = ContinuousClock.now - signalled
        // 0.5 s stop deadline + 0.5 s grace, and the other services' (prompt) stops.
        #expect(took < .seconds(3), "the process took \(took) to exit")
        try process.waitFor("service worker stuck", generation: 1)
        let failure = try process.waitFor("run-failed", generation: 1)
        #expect(failure.text.contains("serviceStuck") && failure.text.contains("service worker"), "\(failure.text)")
        try process.waitFor("exit status=1", generation: 1)
        let stops = process.allLines.filter { $0.text.hasPrefix("service ") && ($0.text.hasSuffix(" stopped") || $0.text.hasSuffix(" stuck")) }.map(\.text)
        #expect(stops == ["service worker stuck", "service upgrader stopped", "service admin stopped"])
    }

    @Test("a service whose initialize() never returns fails the start by its deadline, named", .timeLimit(.minutes(1)))
    func hangingInitialize() throws {
        let process = try FixtureProcess(program: Self.program, environment: [
            "FIXTURE_WORKER": "hang-init", "FIXTURE_INIT_TIMEOUT_MS": "500", "FIXTURE_GRACE_MS": "500",
        ])
        let initiating = try process.waitFor("service worker initiating", generation: 1)
        _ = initiating
        let started = ContinuousClock.now
        let failure = try process.waitFor("run-failed", generation: 1, timeout: .seconds(10))
        let took = ContinuousClock.now - started
        #expect(failure.text.contains("serviceInitializeTimedOut") && failure.text.contains("service worker"), "\(failure.text)")
        // 0.5 s to initialize, 0.5 s of grace once cancelled, then the others stop.
        #expect(took < .seconds(3), "the start took \(took) to fail")
        try process.waitFor("exit status=1", generation: 1)
        #expect(!process.allLines.contains { $0.text == "service worker running" })
    }
}
