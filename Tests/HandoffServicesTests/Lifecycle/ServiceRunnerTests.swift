import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("ServiceRunner: order, readiness, deadlines, failures")
struct ServiceRunnerTests {
    @Test("services start in the order given and stop in reverse order")
    func order() async throws {
        let journal = Journal()
        let runner = ServiceRunner(services: ["a", "b", "c"].map { ScriptedService(name: $0, journal: journal) }, configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        #expect(runner.snapshot.map(\.state) == [.running, .running, .running])
        runner.stop()
        try await running
        #expect(journal.filtered("run") == ["run a", "run b", "run c"])
        #expect(journal.filtered("stopped") == ["stopped c", "stopped b", "stopped a"])
        #expect(runner.snapshot.map(\.state) == [.stopped, .stopped, .stopped])
    }

    @Test("a service is initialised only once the one before it passed its readiness check")
    func readinessGates() async throws {
        let journal = Journal()
        var slow = ScriptedService(name: "a", journal: journal)
        slow.notReadyChecks = 3
        let runner = ServiceRunner(services: [slow, ScriptedService(name: "b", journal: journal)], configuration: .quiet)
        let changes = runner.stateChanges()
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        runner.stop()
        try await running
        let entries = journal.all
        let ready = try #require(entries.firstIndex(of: "check a true"))
        #expect(entries.filter { $0 == "check a false" }.count == 3)
        #expect(entries.firstIndex(of: "init b")! > ready)
        let seen = await changes.filter { $0.service == "a" }.map(\.state).reduce(into: []) { $0.append($1) }
        #expect(seen == [.initiating, .initiated, .starting, .running, .shuttingDown, .stopped])
    }

    @Test("a service not ready by its deadline fails the start; the ones started stop in reverse order and the rest never start")
    func readinessDeadline() async throws {
        let journal = Journal()
        var stuck = ScriptedService(name: "b", journal: journal)
        stuck.notReadyChecks = nil
        stuck.readinessTimeout = .milliseconds(100)
        let runner = ServiceRunner(services: [ScriptedService(name: "a", journal: journal), stuck, ScriptedService(name: "c", journal: journal)], configuration: .quiet)
        let error = await #expect(throws: HandoffError.self) { try await runner.run() }
        #expect(error?.code == .serviceNotReady)
        #expect(error?.reason.contains("service b") == true)
        #expect(journal.filtered("stopped") == ["stopped b", "stopped a"])
        #expect(!journal.all.contains("init c"))
    }

    @Test("a service that ignores the graceful stop is cancelled when its deadline passes, not before")
    func stopDeadline() async throws {
        let journal = Journal()
        var stubborn = ScriptedService(name: "b", journal: journal)
        stubborn.stopping = .ignoresGracefulStop
        stubborn.stopTimeout = .milliseconds(150)
        let runner = ServiceRunner(services: [ScriptedService(name: "a", journal: journal), stubborn], configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        let start = ContinuousClock.now
        runner.stop()
        try await running
        #expect(ContinuousClock.now - start >= .milliseconds(150))
        #expect(journal.filtered("cancelled") == ["cancelled b graceful=true"])
        #expect(journal.filtered("stopped") == ["stopped b", "stopped a"])
    }

    @Test("cancel() during a graceful stop cancels the service waiting out its deadline at once")
    func escalation() async throws {
        let journal = Journal()
        var stubborn = ScriptedService(name: "a", journal: journal)
        stubborn.stopping = .ignoresGracefulStop
        stubborn.stopTimeout = .seconds(600)
        let runner = ServiceRunner(services: [stubborn], configuration: .quiet)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        runner.stop()
        await eventually { runner.snapshot[0].state == .shuttingDown }
        runner.cancel()
        try await running
        #expect(journal.filtered("cancelled") == ["cancelled a graceful=true"])
    }

    @Test("a fatal error stops every other service in reverse order and run() rethrows it")
    func fatalError() async throws {
        let journal = Journal()
        let trigger = AsyncLatch<String>()
        var failing = ScriptedService(name: "b", journal: journal)
        failing.failure = trigger
        let runner = ServiceRunner(services: ["a", "b", "c"].map { $0 == "b" ? failing : ScriptedService(name: $0, journal: journal) }, configuration: .quiet)
        let failures = runner.failures()
        let running = Task { try await runner.run() }
        await eventually { runner.isReady }
        trigger.fulfill("disk full")
        let error = await #expect(throws: HandoffError.self) { try await running.value }
        #expect(error?.code == .serviceFailed)
        #expect(error?.reason.contains("disk full") == true)
        #expect(journal.filtered("stopped") == ["stopped b", "stopped c", "stopped a"])
        #expect(journal.filtered("graceful") == ["graceful c", "graceful a"])
        let reported = await failures.reduce(into: []) { $0.append($1) }
        #expect(reported.map(\.severity) == [.fatal])
        #expect(reported.first?.service == "b")
    }

    @Test("a transient error is reported on the failure stream and the service goes on")
    func transientError() async throws {
        struct Flaky: ManagedService {
            let name = "flaky"
            func run() async throws {
                RunnerContext.reportTransient(TestFailure(reason: "one bad message"))
                try await StopSignal.waitForStop()
            }
        }
        let runner = ServiceRunner(services: [Flaky()], configuration: .quiet)
        var failures = runner.failures().makeAsyncIterator()
        async let running: Void = runner.run()
        let failure = await failures.next()
        #expect(failure?.severity == .transient)
        #expect(failure?.service == "flaky")
        await eventually { runner.isReady }
        #expect(runner.snapshot[0].state == .running)
        runner.stop()
        try await running
    }

    @Test("a service that returns on its own stops the others gracefully, and run() returns")
    func returnStops() async throws {
        struct OneShot: ManagedService {
            let name = "one-shot"
            let journal: Journal
            func run() async throws {
                try await RunnerContext.current!.waitUntilAllRunning()
                journal.note("done")
            }
        }
        let journal = Journal()
        let runner = ServiceRunner(services: [ScriptedService(name: "a", journal: journal), OneShot(journal: journal)], configuration: .quiet)
        try await runner.run()
        #expect(journal.filtered("graceful") == ["graceful a"])
    }
}
