import Foundation
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Messages per second through a ``Mailbox`` — every message received and acknowledged — against
/// `AsyncStream` in the same run, with 1 producer/1 consumer and 4/4.
///
/// An `AsyncStream` has one consumer, so its 4/4 figure is four separate 1/1 streams side by
/// side (no shared queue, no contention: the easiest case for it); its 4 producers/1 consumer
/// figure on one stream is printed too. The stream buffers without bound; the mailbox holds at
/// most `capacity` messages, so its producers wait whenever the consumers fall behind.
struct MailboxBenchmark {
    var messages = 2_000_000
    var runs = 5
    var capacity = 4096

    func run() async throws {
        say("mailbox: \(messages) Int messages per run, best of \(runs) runs, capacity \(capacity); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        say(row("case", "mailbox msg/s", "AsyncStream msg/s", "ratio"))
        for (producers, consumers) in [(1, 1), (4, 4)] {
            let mailbox = try await best { try await mailboxRun(producers: producers, consumers: consumers) }
            let stream = try await best { await streamPairs(pairs: producers) }
            say(row("\(producers)P/\(consumers)C", rate(mailbox), rate(stream), String(format: "%.2f", stream / mailbox)))
        }
        let fanIn = try await best { await streamFanIn(producers: 4) }
        say("AsyncStream 4P/1C on one stream: \(rate(fanIn)) msg/s")
    }

    /// The best wall time of `runs` runs, in seconds.
    private func best(_ body: () async throws -> Duration) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let elapsed = try await body()
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return times.min()!
    }

    private func mailboxRun(producers: Int, consumers: Int) async throws -> Duration {
        let mailbox = try Mailbox<Int>(name: "bench", capacity: capacity)
        let share = messages / producers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<consumers {
                group.addTask {
                    var received = 0
                    try await mailbox.consume { consumer in
                        while let delivery = try await consumer.next() {
                            received &+= delivery.message
                            consumer.acknowledge(delivery)
                        }
                    }
                    return received
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { senders in
                for _ in 0..<producers {
                    senders.addTask {
                        for value in 0..<share { try await mailbox.send(value) }
                    }
                }
                try await senders.waitForAll()
            }
            mailbox.close(.drain)
            var total = 0
            for try await sum in group { total &+= sum }
            precondition(total == producers * (share * (share - 1) / 2), "mailbox lost or duplicated messages")
        }
        return ContinuousClock.now - start
    }

    /// `pairs` separate AsyncStreams, each with one producer and one consumer.
    private func streamPairs(pairs: Int) async -> Duration {
        let share = messages / pairs
        let start = ContinuousClock.now
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<pairs {
                let (stream, continuation) = AsyncStream<Int>.makeStream()
                group.addTask {
                    var received = 0
                    for await value in stream { received &+= value }
                    return received
                }
                group.addTask {
                    for value in 0..<share { continuation.yield(value) }
                    continuation.finish()
                    return 0
                }
            }
            var total = 0
            for await sum in group { total &+= sum }
            precondition(total == pairs * (share * (share - 1) / 2), "stream lost messages")
        }
        return ContinuousClock.now - start
    }

    /// One AsyncStream fed by `producers` tasks.
    private func streamFanIn(producers: Int) async -> Duration {
        let share = messages / producers
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                for await value in stream { received &+= value }
                precondition(received == producers * (share * (share - 1) / 2), "stream lost messages")
            }
            await withTaskGroup(of: Void.self) { senders in
                for _ in 0..<producers {
                    senders.addTask { for value in 0..<share { continuation.yield(value) } }
                }
            }
            continuation.finish()
        }
        return ContinuousClock.now - start
    }

    private func rate(_ seconds: Double) -> String {
        String(format: "%.2fM", Double(messages) / seconds / 1e6)
    }

    private func row(_ columns: String...) -> String {
        zip(columns, [8, 16, 20, 8]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
