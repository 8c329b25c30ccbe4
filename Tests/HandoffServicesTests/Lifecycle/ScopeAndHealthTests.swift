import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Task scopes, stop signals and health")
struct ScopeAndHealthTests {
    @Test("a fatal error in a task scope cancels its siblings and is rethrown; transient errors flow to the caller")
    func scope() async throws {
        let transient = Mutex<[String]>([])
        let cancelled = Mutex(false)
        let error = await #expect(throws: TestFailure.self) {
            _ = try await TaskScope.run("query", onTransient: { failure in transient.withLock { $0.append(failure.service) } }) { scope -> Int in
                scope.spawn("slow") {
                    do {
                        try await Task.sleep(for: .seconds(600))
                    } catch {
                        cancelled.withLock { $0 = true }
                        throw error
                    }
                }
                scope.spawn("flaky") {
                    RunnerContext.reportTransient(TestFailure(reason: "segment missing"))
                    throw TestFailure(reason: "node lost")
                }
                return 1
            }
        }
        #expect(error?.reason == "node lost")
        #expect(cancelled.withLock { $0 })
        #expect(transient.withLock { $0 } == ["query/flaky"])
    }

    @Test("a task scope returns its body's value once every task ended; stop() reaches its tasks through StopSignal")
    func scopeStop() async throws {
        let finished = Mutex(0)
        let value = try await TaskScope.run { scope -> String in
            for index in 0..<3 {
                scope.spawn("worker-\(index)") {
                    try await StopSignal.waitForStop()
                    finished.withLock { $0 += 1 }
                }
            }
            scope.stop()
            return "done"
        }
        #expect(value == "done")
        #expect(finished.withLock { $0 } == 3)
    }

    @Test("withStopHandler calls back on the graceful stop; cancellingOnStop turns it into cancellation")
    func stopSignal() async {
        let signal = StopSignal()
        let called = Mutex(false)
        await StopSignal.$current.withValue(signal) {
            await StopSignal.withStopHandler({ signal.trigger() }, onStop: { called.withLock { $0 = true } })
            #expect(called.withLock { $0 })
            await #expect(throws: CancellationError.self) {
                try await StopSignal.cancellingOnStop { try await Task.sleep(for: .seconds(600)) }
            }
            #expect(StopSignal.isRequested)
        }
    }

    @Test("pushed and polled health reach the services that depend on it")
    func health() async throws {
        final class Database: ManagedService {
            let name = "postgres"
            let status = Mutex(ServiceHealth.healthy)
            func run() async throws { try await StopSignal.waitForStop() }
            func checkHealth() async -> ServiceHealth? { status.withLock { $0 } }
        }
        final class Ledger: ManagedService {
            let name = "ledger"
            let seen = Mutex<[ServiceHealth.Status]>([])
            func run() async throws {
                let changes = RunnerContext.current!.healthChanges(of: ["postgres"])
                RunnerContext.reportHealth(.healthy)
                // The stream ends when the stop cancels the loop.
                _ = try? await StopSignal.cancellingOnStop { [self] in
                    for await change in changes {
                        seen.withLock { $0.append(change.current.status) }
                        RunnerContext.reportHealth(change.current.status == .healthy ? .healthy : .degraded("postgres is \(change.current)"))
                    }
                }
            }
        }
        let database = Database()
        let ledger = Ledger()
        var configuration = RunnerConfiguration.quiet
        configuration.healthPollInterval = .milliseconds(20)
        let runner = ServiceRunner(services: [database, ledger], configuration: configuration)
        async let running: Void = runner.run()
        await eventually { runner.isReady }
        database.status.withLock { $0 = .unhealthy("connection refused") }   // found by polling
        await eventually { runner.health.health(of: "ledger").status == .degraded }
        // Pushed — and the database itself agrees, so the next poll does not contradict it.
        database.status.withLock { $0 = .healthy }
        runner.health.report(.healthy, for: "postgres")
        await eventually { runner.health.health(of: "ledger").status == .healthy }
        #expect(ledger.seen.withLock { $0 }.starts(with: [.unhealthy, .healthy]))
        runner.stop()
        try await running
    }
}
