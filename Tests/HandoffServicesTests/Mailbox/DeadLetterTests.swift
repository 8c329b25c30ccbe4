import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Mailbox: poison messages go to the dead letter", .timeLimit(.minutes(1)))
struct DeadLetterTests {
    struct Poisoned: Error {}

    final class Tally: Sendable {
        let done = Mutex<[Int: Int]>([:])
    }

    /// Consumes `mailbox` with `process`, throwing on `poison` every time.
    struct Worker: ManagedService {
        let name = "worker"
        let mailbox: Mailbox<Int>
        let poison: Int
        let tally: Tally

        func run() async throws {
            try await mailbox.process { delivery in
                if delivery.message == poison { throw Poisoned() }
                tally.done.withLock { $0[delivery.message, default: 0] += 1 }
            }
        }
    }

    @Test("one message that always fails, 10,000 flowing: dead-lettered after N attempts, every other done once, the runner keeps running")
    func poisonAmongMany() async throws {
        let maxAttempts = 4
        let metrics = MetricsRegistry()
        let dead = try Mailbox<Int>(name: "jobs.dead", capacity: 10)
        let jobs = try Mailbox<Int>(name: "jobs", capacity: 1_000, deadLetters: .mailbox(dead, maxAttempts: maxAttempts, metrics: metrics))
        let worker = Worker(mailbox: jobs, poison: -1, tally: Tally())
        var configuration = RunnerConfiguration()
        configuration.logger = nil
        configuration.stopSignals = []
        configuration.healthPollInterval = nil
        let runner = ServiceRunner(services: [worker], configuration: configuration, metrics: metrics)
        let failures = runner.failures()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            for value in 0..<10_000 {
                if value == 5_000 { try await jobs.send(-1) }
                try await jobs.send(value)
            }
            let letter = try await dead.consume { consumer in try #require(try await consumer.next()) }
            #expect(letter.message == -1)
            while jobs.counts.acknowledged < 10_001 { try await Task.sleep(for: .milliseconds(1)) }  // polling; the time limit is the deadline
            #expect(jobs.deadLetterCount == 1)
            #expect(metrics.counter("handoff_mailbox_dead_letters_total", help: "").value(labels: ["mailbox": "jobs"]) == 1)
            #expect(runner.snapshot.map(\.state) == [.running], "the worker was not failed by the poison message")
            runner.stop()
            try await group.waitForAll()
        }
        let done = worker.tally.done.withLock { $0 }
        #expect(done.count == 10_000 && done.values.allSatisfy { $0 == 1 }, "every other message is done exactly once")
        var transient = 0
        for await failure in failures where failure.severity == .transient { transient += 1 }
        #expect(transient == maxAttempts, "each failed attempt is reported as transient")
    }

    @Test("retry gives a message back for another attempt without ending the consumer")
    func retry() async throws {
        let mailbox = try Mailbox<Int>(capacity: 4)
        try mailbox.trySend(1)
        try mailbox.trySend(2)
        try await mailbox.consume { consumer in
            let first = try #require(try await consumer.next())
            #expect(try await consumer.retry(first, after: Poisoned()) == false)
            let again = try #require(try await consumer.next())
            #expect(again.message == 1 && again.attempt == 2, "given back ahead of newer messages")
            consumer.acknowledge(again)
            let second = try #require(try await consumer.next())
            #expect(second.message == 2 && second.attempt == 1)
            consumer.acknowledge(second)
        }
        #expect(mailbox.counts.acknowledged == 2)
    }
}
