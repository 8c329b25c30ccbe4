import Synchronization
import Testing
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// The runner's drain and resume on their own, with no upgrader: services after a boundary
/// taken down in reverse (by their stop, or by a step the caller gives), brought back in order.
@Suite("ServiceRunner: a generic drain after k and its resume")
struct RunnerGenericDrainTests {
    @Test("a drain stops the services after k in reverse, runs a step instead of a stop where given, and a resume hands back before restarting in order")
    func drainWithStepsAndResume() async throws {
        let journal = Journal()
        let services: [any ManagedService] = ["a", "b", "c", "d"].map { ScriptedService(name: $0, journal: journal) }
        let runner = ServiceRunner(services: services, configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }

        try await runner.drain(after: 0, purpose: "for a test", steps: [2: { journal.note("step c") }])
        #expect(runner.notReadyReason == "draining for a test")
        #expect(runner.snapshot.map(\.state) == [.running, .stopped, .shuttingDown, .stopped])
        #expect(journal.all.filter { $0.hasPrefix("stopped") || $0.hasPrefix("step") } == ["stopped d", "step c", "stopped b"])

        await runner.resume { journal.note("hand back") }
        #expect(runner.isReady)
        let afterDrain = journal.all.drop { $0 != "stopped b" }.filter { !$0.hasPrefix("check") }
        #expect(Array(afterDrain) == ["stopped b", "hand back", "init b", "run b", "init d", "run d"])
        #expect(journal.filtered("init c").count == 1)

        runner.stop()
        try await running
    }

    @Test("a step that throws fails the drain; the resume still brings back what was taken down")
    func failingStep() async throws {
        let journal = Journal()
        let services: [any ManagedService] = ["a", "b", "c"].map { ScriptedService(name: $0, journal: journal) }
        let runner = ServiceRunner(services: services, configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }

        let error = await #expect(throws: HandoffError.self) {
            try await runner.drain(after: 0, purpose: "for a test", steps: [1: { throw TestFailure(reason: "refused") }])
        }
        #expect(error?.code == .drainFailed)
        #expect(error?.reason.contains("refused") == true)
        await runner.resume { journal.note("hand back") }
        #expect(runner.isReady)
        #expect(journal.filtered("init c").count == 2)
        #expect(journal.filtered("init b").count == 1)

        runner.stop()
        try await running
    }

    @Test("a stop during the drain drops the hand-back: what the drain gave away is never given back")
    func stopDropsHandBack() async throws {
        let journal = Journal()
        let services: [any ManagedService] = ["a", "b"].map { ScriptedService(name: $0, journal: journal) }
        let runner = ServiceRunner(services: services, configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }

        try await runner.drain(after: 0, purpose: "for a test", steps: [1: { journal.note("step b") }])
        runner.cancel()
        await runner.resume { journal.note("hand back") }
        try await running
        #expect(runner.isStopping)
        #expect(!journal.all.contains("hand back"))
    }
}
