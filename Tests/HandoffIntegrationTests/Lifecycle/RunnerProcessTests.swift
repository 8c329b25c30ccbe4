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

/// `handoff-runner-fixture` in real processes, with real signals and real upgrades.
@Suite("ServiceRunner in a real process", .serialized, .offCooperativePool)
struct RunnerProcessTests {
    static let program = "handoff-runner-fixture"

    static func start(worker: String = "graceful") throws -> (FixtureProcess, UInt16) {
        let process = try FixtureProcess(program: program, environment: ["FIXTURE_WORKER": worker])
        try process.waitFor("service worker running", generation: 1)
        let admin = try process.waitFor("admin port=", generation: 1)
        return (process, UInt16(FixtureProcess.field("port", in: admin.text)!)!)
    }

    /// The state changes one generation printed, as "name state".
    static func changes(_ process: FixtureProcess, generation: Int) -> [String] {
        process.allLines.filter { $0.generation == generation && $0.text.hasPrefix("service ") }.map { String($0.text.dropFirst(8)) }
    }

    @Test("SIGTERM stops the services in reverse order and the process exits 0", .timeLimit(.minutes(1)))
    func sigterm() throws {
        let (process, _) = try Self.start()
        let pid = try process.pid(ofGeneration: 1, marker: "admin port=")
        #expect(kill(pid, SIGTERM) == 0)
        try process.waitFor("exit status=0", generation: 1)
        try process.waitUntilGone(pid)
        let stops = Self.changes(process, generation: 1).filter { $0.hasSuffix(" stopped") }
        #expect(stops == ["worker stopped", "upgrader stopped", "admin stopped"])
    }

    @Test("a second SIGTERM cancels a service that is waiting out its graceful-stop deadline", .timeLimit(.minutes(1)))
    func secondSigterm() throws {
        let (process, _) = try Self.start(worker: "stubborn")
        let pid = try process.pid(ofGeneration: 1, marker: "admin port=")
        #expect(kill(pid, SIGTERM) == 0)
        try process.waitFor("worker stop-requested", generation: 1)
        #expect(kill(pid, SIGTERM) == 0)
        // The worker's own deadline is 60 s: only the cancellation ends it this soon.
        try process.waitFor("worker cancelled", generation: 1, timeout: .seconds(10))
        try process.waitFor("exit status=0", generation: 1, timeout: .seconds(10))
        try process.waitUntilGone(pid)
    }

    @Test("/ready turns 503 when an upgrade's drain starts, and the successor serves the same admin port", .timeLimit(.minutes(1)))
    func readyDuringDrain() throws {
        let (process, port) = try Self.start(worker: "hold-until-usr1")
        let first = try process.pid(ofGeneration: 1, marker: "admin port=")
        // A keep-alive connection stays with this process: its answers are the old process's.
        let probe = try HTTPClient(port: port)
        #expect(try probe.get("/ready").status == 200)
        #expect(kill(first, SIGHUP) == 0)
        try process.waitFor("worker stop-requested", generation: 1)
        #expect(try probe.get("/ready") == (503, "not ready: draining for an upgrade"))
        #expect(try probe.get("/health").status == 200)
        #expect(kill(first, SIGUSR1) == 0)
        try process.waitFor("event took-over", generation: 2)
        try process.waitFor("exit status=0 replaced=true", generation: 1)
        try process.waitUntilGone(first)
        let fresh = try HTTPClient(port: port)
        #expect(try fresh.get("/ready").status == 200)
        let second = try process.pid(ofGeneration: 2, marker: "admin port=")
        #expect(try fresh.get("/debug/services").body.contains(#""name":"worker","state":"running""#))
        #expect(second != first)
    }

    @Test("counters carry on across an upgrade: /metrics does not reset at each generation", .timeLimit(.minutes(1)))
    func metricsSurvive() throws {
        let (process, port) = try Self.start()
        let before = try ExpositionParser.parse(try HTTPClient(port: port).get("/metrics").body + "\n")
        #expect(before.value("fixture_ticks_total") == 1)
        #expect(before.value("handoff_generation") == 1)
        #expect(before.value("handoff_upgrades_total") == 0)

        let first = try process.pid(ofGeneration: 1, marker: "admin port=")
        #expect(kill(first, SIGHUP) == 0)
        try process.waitFor("service worker running", generation: 2)
        try process.waitFor("event predecessor-exited", generation: 2)
        try process.waitUntilGone(first)
        let after = try ExpositionParser.parse(try HTTPClient(port: port).get("/metrics").body + "\n")
        #expect(after.value("fixture_ticks_total") == 3)   // 1 carried + 2 of its own
        #expect(after.value("handoff_generation") == 2)
        #expect(after.value("handoff_upgrades_total") == 1)
        #expect((after.value("handoff_handoff_state_bytes_total") ?? 0) > 0)
        #expect(after.value("handoff_service_state", ["service": "worker", "state": "running"]) == 1)
    }
}
