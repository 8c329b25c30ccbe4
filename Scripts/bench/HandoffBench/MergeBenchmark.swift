import Foundation
import Handoff
import HandoffEtcd
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `handoff-bench merge --endpoint URL --directory DIR`: how long from the moment a stopping
/// process A offers 1 KiB of state until a running process B has merged it and committed its
/// claim (a rolling deploy's SIGTERM → merged, past A's own drain), p50 and p99; through etcd
/// (B learns of the offer from its watch: nothing is polled) and through a DirectoryStore
/// (inotify) as the baseline. A and B use stores of their own, as two processes would.
///
/// B runs the registry's follower loop by hand, with the same public calls: `offers(label:)`,
/// `claim`, ``HandoffRegistry/decode(_:from:)``, `merge`, `commit`.
struct MergeBenchmark {
    var endpoint: String
    var directory: String
    var rounds = 300
    var bytes = 1 << 10

    private func percentile(_ values: [Duration], _ fraction: Double) -> Duration { BenchFigures.percentile(values, fraction) }
    private func ms(_ duration: Duration) -> Double { BenchFigures.ms(duration) }
    private func fixed(_ value: Double) -> String { BenchFigures.fixed(value) }

    func run() async throws {
        var configuration = EtcdConfiguration(endpoints: [endpoint])
        configuration.keyPrefix = "/handoff-bench-merge-\(getpid())"
        let etcdA = try EtcdStore(configuration: configuration)
        let etcdB = try EtcdStore(configuration: configuration)
        let directoryA = try DirectoryStore(directory: directory)
        let directoryB = try DirectoryStore(directory: directory)
        say("offer by A → merged and committed by running B, \(bytes) bytes of state, \(rounds) rounds")
        let etcd = try await measure(offering: etcdA, following: etcdB)
        let local = try await measure(offering: directoryA, following: directoryB)
        say("etcd       p50 \(fixed(ms(percentile(etcd, 0.5))))ms  p99 \(fixed(ms(percentile(etcd, 0.99))))ms  max \(fixed(ms(etcd.max()!)))ms")
        say("directory  p50 \(fixed(ms(percentile(local, 0.5))))ms  p99 \(fixed(ms(percentile(local, 0.99))))ms  max \(fixed(ms(local.max()!)))ms")
        say(String(format: "p50 ratio etcd/directory: %.1fx", ms(percentile(etcd, 0.5)) / ms(percentile(local, 0.5))))
    }

    private func measure(offering a: any HandoffStore, following b: any HandoffStore) async throws -> [Duration] {
        let tally = BenchTally()
        let (merged, sink) = AsyncStream<ContinuousClock.Instant>.makeStream()
        let clock = ContinuousClock()
        let payload = try HandoffBinaryEncoder().encode(BenchTally.State(count: 1, padding: [UInt8](repeating: 7, count: bytes)))
        return try await withThrowingTaskGroup(of: [Duration]?.self) { group in
            let offers = b.offers(label: BenchTally.handoffLabel)
            group.addTask {
                for await header in offers where header.key == "" {
                    while let claim = try await b.claim(label: BenchTally.handoffLabel, key: "", readerVersion: 1) {
                        try await tally.merge(try HandoffRegistry.decode(BenchTally.self, from: claim.envelope))
                        try await b.commit(claim)
                        sink.yield(clock.now)
                    }
                }
                return nil
            }
            group.addTask {
                var times: [Duration] = []
                var iterator = merged.makeAsyncIterator()
                for round in 0..<(rounds + 5) {
                    let header = EnvelopeHeader(
                        label: BenchTally.handoffLabel, key: "", stateVersion: 1, oldestReaderVersion: 1, codec: .binary,
                        createdAtNanoseconds: Int64(round), producer: Envelope.Producer(pid: getpid(), host: "bench", build: "bench"))
                    let start = clock.now
                    try await a.offer(Envelope(header: header, payload: payload), ttl: .seconds(60))
                    guard let end = await iterator.next() else { throw BenchFailure("the follower stopped") }
                    if round >= 5 { times.append(end - start) }  // warm-up: connections, the claim lease
                }
                return times
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let times = result {
                    guard tally.count == rounds + 5 else { throw BenchFailure("merged \(tally.count), offered \(rounds + 5)") }
                    return times
                }
            }
            throw BenchFailure("no samples")
        }
    }
}

/// A counter with some padding: what B merges.
final class BenchTally: HandoffMergeable {
    struct State: Codable, Sendable {
        var count: Int
        var padding: [UInt8]
    }
    static let handoffLabel = "bench.merge"
    static let handoffVersion = 1
    private let total = Mutex(0)
    var count: Int { total.withLock { $0 } }

    func handoffState() async throws -> State { State(count: count, padding: []) }
    func resume(from state: State) async throws { total.withLock { $0 = state.count } }
    func merge(_ other: State) async throws { total.withLock { $0 += other.count } }
}

/// Figures for the merge and checkpoint benchmarks.
enum BenchFigures {
    static func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
    }

    static func ms(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    static func fixed(_ value: Double) -> String {
        let text = String(format: "%.3f", value)
        return String(repeating: " ", count: max(0, 8 - text.count)) + text
    }
}
