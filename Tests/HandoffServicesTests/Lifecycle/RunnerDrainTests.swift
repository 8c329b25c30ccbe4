import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// The runner's side of an upgrade, without processes: the drain the upgrader asks for, and
/// the resume after a failed upgrade.
@Suite("ServiceRunner: drain for an upgrade and rollback")
struct RunnerDrainTests {
    /// A participant that hands over one fake connection and records what it is given back.
    final class Server: ManagedService, UpgradeParticipant {
        let name = "server"
        let journal: Journal
        init(journal: Journal) { self.journal = journal }
        func run() async throws {
            try await StopSignal.waitForStop()
            journal.note("stopped server")
        }
        func drain() async throws -> [HandoffConnection] {
            journal.note("drain server")
            return [HandoffConnection(descriptor: 1000, unreadBytes: [1, 2])]
        }
        func resume(_ connections: [HandoffConnection]) async {
            journal.note("resume server \(connections.map(\.descriptor))")
        }
    }

    @Test("the drain stops the services after the upgrader in reverse order and /ready drops; a rollback resumes and restarts them in order")
    func drainAndResume() async throws {
        let journal = Journal()
        let services: [any ManagedService] = [
            ScriptedService(name: "state", journal: journal),
            ScriptedService(name: "upgrader", journal: journal),
            Server(journal: journal),
            ScriptedService(name: "worker", journal: journal),
        ]
        let runner = ServiceRunner(services: services, configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        let participant = RunnerUpgradeParticipant(runner: runner, boundary: 1)

        let connections = try await participant.drain()
        #expect(connections.map(\.descriptor) == [1000])
        #expect(!runner.isReady)
        #expect(runner.notReadyReason == "draining for an upgrade")
        #expect(runner.snapshot.map(\.state) == [.running, .running, .shuttingDown, .stopped])
        #expect(journal.all.suffix(3) == ["graceful worker", "stopped worker", "drain server"])

        await participant.resume(connections)
        #expect(runner.isReady)
        #expect(journal.filtered("init worker").count == 2)
        #expect(journal.all.contains("resume server [1000]"))

        runner.stop()
        try await running
        #expect(journal.filtered("stopped").suffix(4) == ["stopped worker", "stopped server", "stopped upgrader", "stopped state"])
    }

    @Test("a stop requested during a drain waits for the upgrade's outcome, then stops without restarting")
    func stopDuringDrain() async throws {
        let journal = Journal()
        let runner = ServiceRunner(services: [ScriptedService(name: "upgrader", journal: journal), ScriptedService(name: "worker", journal: journal)], configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        let participant = RunnerUpgradeParticipant(runner: runner, boundary: 0)
        _ = try await participant.drain()
        runner.stop()
        await participant.resume([])
        try await running
        #expect(journal.filtered("init worker").count == 1)
        #expect(journal.filtered("stopped") == ["stopped worker", "stopped upgrader"])
    }

    @Test("a drain is refused while the services are still starting")
    func drainRefused() async throws {
        let journal = Journal()
        var slow = ScriptedService(name: "slow", journal: journal)
        slow.notReadyChecks = nil
        let runner = ServiceRunner(services: [slow], configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.snapshot[0].state == .starting }
        let error = await #expect(throws: HandoffError.self) { try await RunnerUpgradeParticipant(runner: runner, boundary: -1).drain() }
        #expect(error?.code == .drainFailed)
        runner.stop()
        try await running
    }
}
