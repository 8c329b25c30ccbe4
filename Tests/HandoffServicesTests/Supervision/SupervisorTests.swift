import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Supervisor: policies, strategies, intensity, backoff, trees", .timeLimit(.minutes(1)))
struct SupervisorTests {
    @Test("one-for-one restarts only the child that failed")
    func oneForOne() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(.oneForOne), children: [
            children.spec("a"), children.spec("b", failing: [1]), children.spec("c"),
        ])
        let error = await supervise(supervisor) { children.lives(of: "b") == 2 && supervisor.stats.running == 3 }
        #expect(error == nil)
        #expect([children.lives(of: "a"), children.lives(of: "b"), children.lives(of: "c")] == [1, 2, 1])
        #expect(children.journal.filtered("stop") == ["stop c", "stop b", "stop a"], "the stop goes in reverse order")
        #expect(supervisor.stats.restarts == 1 && supervisor.stats.failures == 1)
        #expect(supervisor.stats.lastFailure?.child == "b")
    }

    @Test("one-for-all stops the others in reverse order and starts all of them again in order")
    func oneForAll() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(.oneForAll), children: [
            children.spec("a"), children.spec("b", failing: [1]), children.spec("c"),
        ])
        let error = await supervise(supervisor) { children.lives(of: "c") == 2 && supervisor.stats.running == 3 }
        #expect(error == nil)
        #expect([children.lives(of: "a"), children.lives(of: "b"), children.lives(of: "c")] == [2, 2, 2])
        // From the first stop on: the stops one at a time in reverse order, then the starts
        // (launched in order, running concurrently).
        let restart = Array(children.journal.all.drop { !$0.hasPrefix("stop") })
        #expect(Array(restart.prefix(2)) == ["stop c", "stop a"])
        #expect(Set(restart.dropFirst(2).prefix(3)) == ["start a", "start b", "start c"])
        #expect(supervisor.stats.restarts == 1)
    }

    @Test("a sibling that never restarts is stopped by a one-for-all restart and not started again")
    func oneForAllNever() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(.oneForAll), children: [
            children.spec("once", restart: .never), children.spec("b", failing: [1]),
        ])
        let error = await supervise(supervisor) { children.lives(of: "b") == 2 && supervisor.stats.running == 1 }
        #expect(error == nil)
        #expect(children.lives(of: "once") == 1)
        #expect(supervisor.stats.children == 1)
    }

    @Test("rest-for-one restarts the child that failed and the ones after it, not the ones before")
    func restForOne() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(.restForOne), children: [
            children.spec("a"), children.spec("b", failing: [1]), children.spec("c"), children.spec("d"),
        ])
        let error = await supervise(supervisor) { children.lives(of: "d") == 2 && supervisor.stats.running == 4 }
        #expect(error == nil)
        #expect([children.lives(of: "a"), children.lives(of: "b"), children.lives(of: "c"), children.lives(of: "d")] == [1, 2, 2, 2])
        let restart = Array(children.journal.all.drop { !$0.hasPrefix("stop") })
        #expect(Array(restart.prefix(2)) == ["stop d", "stop c"])
        #expect(Set(restart.dropFirst(2).prefix(3)) == ["start b", "start c", "start d"])
    }

    @Test("restart policies: always restarts a child that returned; on-failure only one that threw; never neither")
    func policies() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(), children: [
            children.spec("always", restart: .always, returning: [1]),
            children.spec("returns", restart: .onFailure, returning: [1]),
            children.spec("throws", restart: .onFailure, failing: [1]),
            children.spec("never", restart: .never, failing: [1]),
        ])
        let error = await supervise(supervisor) {
            children.lives(of: "always") == 2 && children.lives(of: "throws") == 2 && supervisor.stats.children == 2 && supervisor.stats.running == 2
        }
        #expect(error == nil)
        #expect(children.lives(of: "returns") == 1)
        #expect(children.lives(of: "never") == 1)
        #expect(supervisor.stats.restarts == 2)
        #expect(supervisor.stats.failures == 2)
    }

    @Test("past its restart intensity the supervisor stops every child and fails with restartIntensityExceeded")
    func intensity() async throws {
        let children = ScriptedChildren()
        var configuration = SupervisorConfiguration.quick()
        configuration.intensity = RestartIntensity(maxRestarts: 3, within: .seconds(60))
        let supervisor = try Supervisor(name: "crashy", configuration: configuration, children: [
            children.spec("steady"), children.spec("crash", failing: Set(1...100)),
        ])
        let error = await #expect(throws: HandoffError.self) { try await supervisor.run() }
        #expect(error?.code == .restartIntensityExceeded)
        #expect(error?.reason.contains("crashy") == true)
        #expect(children.lives(of: "crash") == 4, "three restarts, then the fourth failure escalates")
        #expect(children.journal.all.last == "stop steady", "run() returns only after every child stopped")
        #expect(supervisor.stats.running == 0)
    }

    @Test("an escalation under a ServiceRunner is fatal: the runner stops and rethrows it")
    func escalatesToRunner() async throws {
        let children = ScriptedChildren()
        var configuration = SupervisorConfiguration.quick()
        configuration.intensity = RestartIntensity(maxRestarts: 1, within: .seconds(60))
        let supervisor = try Supervisor(name: "workers", configuration: configuration, children: [children.spec("crash", failing: Set(1...100))])
        let runner = ServiceRunner(services: [ScriptedService(name: "before", journal: children.journal), supervisor], configuration: .quiet)
        let failures = runner.failures()
        let error = await #expect(throws: HandoffError.self) { try await runner.run() }
        #expect(error?.code == .restartIntensityExceeded)
        #expect(children.journal.filtered("stopped") == ["stopped before"])
        let reported = await failures.reduce(into: [String]()) { $0.append("\($1.severity) \($1.service)") }
        #expect(reported.filter { $0 == "transient workers/crash" }.count == 2, "each child failure reaches the runner as transient")
        #expect(reported.last == "fatal workers")
        #expect(runner.metrics.counter("handoff_supervisor_restarts_total", help: "").value(labels: ["supervisor": "workers"]) == 1)
    }

    @Test("supervisors nest: a child supervisor that gives up is restarted by its parent; its siblings are untouched")
    func tree() async throws {
        let children = ScriptedChildren()
        var inner = SupervisorConfiguration.quick()
        inner.intensity = RestartIntensity(maxRestarts: 1, within: .seconds(60))
        let child = try Supervisor(name: "inner", configuration: inner, children: [
            children.spec("leaf", failing: [1, 2]), children.spec("sibling-leaf"),
        ])
        let parent = try Supervisor(name: "outer", configuration: .quick(), children: [children.spec("peer"), .supervisor(child)])
        let error = await supervise(parent) { children.lives(of: "leaf") == 3 && child.stats.running == 2 }
        #expect(error == nil)
        #expect(parent.stats.restarts == 1)
        #expect(parent.stats.lastFailure.map { ($0.error as? HandoffError)?.code } == .restartIntensityExceeded)
        #expect(children.lives(of: "peer") == 1)
        #expect(children.lives(of: "sibling-leaf") == 2)
    }

    @Test("a child that ignores its graceful stop is cancelled at its stop deadline")
    func stopDeadline() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(), children: [children.spec("stubborn", stopTimeout: .milliseconds(50), ignoresStop: true)])
        let start = ContinuousClock.now
        let error = await supervise(supervisor) { supervisor.stats.running == 1 }
        #expect(error == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(children.journal.filtered("cancel") == ["cancel stubborn"])
        #expect(supervisor.stats.failures == 0, "a cancellation the supervisor asked for is no failure")
    }

    @Test("children added and removed while running start and stop; removed ones are not restarted")
    func dynamicChildren() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(configuration: .quick(), children: [children.spec("a")])
        let run = Task { try await supervisor.run() }
        await eventually { supervisor.stats.running == 1 }
        try supervisor.startChild(children.spec("b"))
        #expect(throws: HandoffError.self) { try supervisor.startChild(children.spec("b")) }
        await eventually { supervisor.stats.running == 2 }
        try supervisor.stopChild(named: "a")
        await eventually { supervisor.stats.children == 1 && supervisor.stats.running == 1 }
        #expect(supervisor.childNames == ["b"])
        #expect(children.journal.filtered("stop") == ["stop a"])
        supervisor.stop()
        try await run.value
        #expect(children.lives(of: "a") == 1)
    }

    @Test("backoff: the first restart at once, then exponential from the initial delay, capped, within the jitter")
    func backoff() {
        let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(100), multiplier: 2, jitter: 0.2, immediateRestarts: 1)
        #expect((1...7).map { backoff.delay(beforeRestart: $0, random: 0.5) } == [0, 10, 20, 40, 80, 100, 100].map { Duration.milliseconds($0) })
        #expect(backoff.delay(beforeRestart: 3, random: 0) == .milliseconds(16))
        #expect(backoff.delay(beforeRestart: 3, random: 0.999_999) > .milliseconds(23.9))
        #expect(Backoff.none.delay(beforeRestart: 50, random: 0.3) == .zero)
        #expect(throws: HandoffError.self) {
            var configuration = SupervisorConfiguration()
            configuration.backoff.jitter = 2
            _ = try Supervisor(configuration: configuration)
        }
    }

    @Test("a child restarted again within the period waits out its backoff delay")
    func backoffDelays() async throws {
        let children = ScriptedChildren()
        var configuration = SupervisorConfiguration.quick()
        configuration.backoff = Backoff(initial: .milliseconds(60), maximum: .seconds(1), jitter: 0)
        let supervisor = try Supervisor(configuration: configuration, children: [children.spec("flaky", failing: [1, 2])])
        let start = ContinuousClock.now
        let error = await supervise(supervisor) { children.lives(of: "flaky") == 3 }
        #expect(error == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(60), "the second restart waits 60 ms; the first none")
    }

    @Test("stats arrive as an AsyncSequence of snapshots: running, restarts, failures, last failure")
    func statsStream() async throws {
        let children = ScriptedChildren()
        let supervisor = try Supervisor(name: "watched", configuration: .quick(), children: [children.spec("x", failing: [1])])
        let updates = supervisor.statsUpdates()
        let run = Task { try await supervisor.run() }
        var seen: [SupervisorStats] = []
        for await stats in updates {
            seen.append(stats)
            if stats.restarts == 1 && stats.running == 1 { break }
        }
        supervisor.stop()
        try await run.value
        // The stream keeps only the latest snapshot, so a slow reader may skip the first ones
        // (running=0 before the child starts); none may ever show more than the one child.
        #expect(seen.allSatisfy { $0.running <= 1 && $0.restarts <= 1 })
        #expect(seen.last?.failures == 1)
        #expect(seen.last?.lastFailure?.child == "x")
        #expect("\(seen.last!)".contains("watched: children=1 running=1 restarts=1 failures=1"))
    }
}
