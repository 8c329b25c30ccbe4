import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("WorkerGroup: workers on a mailbox, restarts, scaling, scopes", .timeLimit(.minutes(1)))
struct WorkerGroupTests {
    /// How many times each message was acknowledged, and by which worker.
    final class Tally: Sendable {
        let acknowledged = Mutex<[Int: Int]>([:])
        let byWorker = Mutex<[Int: Int]>([:])

        func record(_ message: Int, worker: Int) {
            acknowledged.withLock { $0[message, default: 0] += 1 }
            byWorker.withLock { $0[worker, default: 0] += 1 }
        }

        var count: Int { acknowledged.withLock { $0.values.reduce(0, +) } }
    }

    static var tolerant: SupervisorConfiguration {
        var configuration = SupervisorConfiguration.quick()
        configuration.intensity = RestartIntensity(maxRestarts: 100_000, within: .seconds(60))
        return configuration
    }

    @Test("workers that throw on every k-th message lose none: each is acknowledged exactly once", arguments: [3, 7])
    func kthMessageFails(k: Int) async throws {
        let total = 2_000
        let mailbox = try Mailbox<Int>(name: "jobs", capacity: 64)
        let tally = Tally()
        let group = try WorkerGroup(name: "w", count: 4, configuration: Self.tolerant) { worker in
            var handled = 0
            try await mailbox.consume { consumer in
                while let delivery = try await consumer.next() {
                    handled += 1
                    if handled % k == 0 { throw TestFailure(reason: "worker \(worker) fails on message \(delivery.message)") }
                    if consumer.acknowledge(delivery) { tally.record(delivery.message, worker: worker) }
                }
            }
        }
        try await group.scoped {
            for message in 0..<total { try await mailbox.send(message) }  // waits while full
            while tally.count < total { try await Task.sleep(for: .milliseconds(1)) }  // polling with a deadline: the test's time limit
        }
        let failures = group.stats.failures
        let acknowledged = tally.acknowledged.withLock { $0 }
        #expect(acknowledged.count == total)
        #expect(acknowledged.values.allSatisfy { $0 == 1 })
        #expect(mailbox.counts.acknowledged == total)
        #expect(mailbox.counts.held == 0)
        #expect(failures >= total / k - 1, "every k-th handling failed")
        #expect(mailbox.counts.returned == failures, "each failure gave its message back")
        // A worker whose failure the supervisor learns of after the scope asked it to stop is
        // not restarted: at most one such failure per worker.
        #expect(group.stats.restarts <= failures && failures - group.stats.restarts <= 4)
    }

    @Test("a group scales up and down under load, losing and duplicating nothing")
    func scaling() async throws {
        let total = 3_000
        let mailbox = try Mailbox<Int>(name: "load", capacity: 32)
        let tally = Tally()
        let group = try WorkerGroup(name: "s", count: 1, configuration: Self.tolerant) { worker in
            try await mailbox.process { delivery in
                await Task.yield()  // a little work
                tally.record(delivery.message, worker: worker)
            }
        }
        let run = Task { try await group.run() }
        let producer = Task { for message in 0..<total { try await mailbox.send(message) } }
        await eventually { tally.count >= 200 }
        try group.scale(to: 4)
        await eventually { group.stats.running == 4 }
        await eventually { tally.byWorker.withLock { $0.count } == 4 }
        try group.scale(to: 2)
        await eventually { group.stats.running == 2 && group.stats.children == 2 }
        let countAtTwo = tally.count
        try await producer.value
        await eventually { tally.count == total }
        group.stop()
        try await run.value
        #expect(countAtTwo < total, "scaled down while messages were still flowing")
        #expect(group.count == 2)
        #expect(group.supervisor.childNames == ["s-0", "s-1"])
        let acknowledged = tally.acknowledged.withLock { $0 }
        #expect(acknowledged.count == total && acknowledged.values.allSatisfy { $0 == 1 })
        #expect(group.stats.restarts == 0, "workers stopped by scaling down are not restarted")
        #expect(throws: HandoffError.self) { try group.scale(to: -1) }
    }

    @Test("a scoped group runs its workers while the operation runs, then stops them for good")
    func scoped() async throws {
        let mailbox = try Mailbox<Int>(name: "scoped", capacity: 16)
        let lives = Mutex(0)
        let group = try WorkerGroup(name: "scope", count: 3, configuration: Self.tolerant) { _ in
            lives.withLock { $0 += 1 }
            try await mailbox.process { _ in }
        }
        let answer = try await group.scoped {
            for message in 0..<100 { try await mailbox.send(message) }
            while mailbox.counts.acknowledged < 100 { try await Task.sleep(for: .milliseconds(1)) }  // polling with a deadline: the test's time limit
            return 42
        }
        #expect(answer == 42)
        #expect(group.stats.running == 0)
        #expect(!group.supervisor.isRunning)
        #expect(lives.withLock { $0 } == 3, "stopped workers were not restarted")
    }
}
