import Foundation
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `handoff-bench checkpoint [--checkpoints N]`: how long a holder's request path is paused by
/// each state checkpoint, for 1 KiB and 10 MiB of state.
///
/// A request thread mutates the state behind its lock as fast as it can (one byte and a
/// counter per request), timing every request. A checkpoint every 100 ms takes
/// `handoffSnapshot()` (a copy under the lock) and encodes it (outside the lock), as the fd
/// store's checkpoint and a store checkpoint do. Per checkpoint window (from its start to the
/// next one's), the longest request is the pause; printed are its median and maximum over the
/// windows, against the same windows with no checkpoint running (the baseline), and the time
/// one checkpoint takes (snapshot + encode). A copy-on-write snapshot is cheap under the lock;
/// the request path pays for the copy at its first mutation after it, and that is counted.
struct CheckpointBenchmark {
    var checkpoints = 40
    var interval: Duration = .milliseconds(100)

    func run() async throws {
        say("request-path pause per checkpoint (longest request in each \(BenchFigures.ms(interval)) ms window), \(checkpoints) windows")
        say("state      baseline p50    max | checkpoint p50    max | one checkpoint p50")
        for bytes in [1 << 10, 10 << 20] {
            let baseline = try await measure(bytes: bytes, checkpointing: false)
            let loaded = try await measure(bytes: bytes, checkpointing: true)
            let label = bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
            say("\(label.padding(toLength: 9, withPad: " ", startingAt: 0))  \(f(baseline.windows, 0.5))ms \(f(baseline.windows, 1))ms | \(f(loaded.windows, 0.5))ms \(f(loaded.windows, 1))ms | \(f(loaded.checkpoints, 0.5))ms")
        }
    }

    private func f(_ values: [Duration], _ fraction: Double) -> String {
        BenchFigures.fixed(BenchFigures.ms(BenchFigures.percentile(values, fraction)))
    }

    private func measure(bytes: Int, checkpointing: Bool) async throws -> (windows: [Duration], checkpoints: [Duration]) {
        let state = PaddedState(bytes: bytes)
        let requests = RequestLog()
        let stop = Atomic<Bool>(false)
        let clock = ContinuousClock()
        let thread = Thread {
            var index = 0
            while !stop.load(ordering: .relaxed) {
                let start = clock.now
                state.touch(index)
                requests.record(start, clock.now - start)
                index &+= 1
            }
        }
        thread.start()
        var starts: [ContinuousClock.Instant] = []
        var durations: [Duration] = []
        for _ in 0..<(checkpoints + 1) {
            let start = clock.now
            starts.append(start)
            if checkpointing {
                let snapshot = try await state.handoffSnapshot()
                _ = try HandoffBinaryEncoder().encode(snapshot)
                durations.append(clock.now - start)
            }
            try await Task.sleep(until: start + interval)  // the checkpoint interval
        }
        stop.store(true, ordering: .relaxed)
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(1)) }
        let log = requests.all()
        var windows: [Duration] = []
        for (from, to) in zip(starts, starts.dropFirst()) {
            windows.append(log.filter { $0.start >= from && $0.start < to }.map(\.duration).max() ?? .zero)
        }
        return (windows, checkpointing ? durations : [.zero])
    }
}

/// State with padding behind a lock, as a server's would be.
final class PaddedState: HandoffAware {
    struct State: Codable, Sendable {
        var count: Int
        var padding: [UInt8]
    }
    static let handoffLabel = "bench.padded"
    static let handoffVersion = 1
    private let state: Mutex<State>

    init(bytes: Int) { state = Mutex(State(count: 0, padding: [UInt8](repeating: 1, count: bytes))) }

    /// One request: a counter and one byte.
    func touch(_ index: Int) {
        state.withLock { state in
            state.count += 1
            state.padding[index % state.padding.count] &+= 1
        }
    }

    func handoffState() async throws -> State { state.withLock { $0 } }
    func handoffSnapshot() async throws -> State { state.withLock { $0 } }
    func resume(from state: State) async throws { self.state.withLock { $0 = state } }
}

/// Every request's start and duration, for the request thread and the reader.
final class RequestLog: Sendable {
    private let entries = Mutex<[(start: ContinuousClock.Instant, duration: Duration)]>([])

    init() { entries.withLock { $0.reserveCapacity(1 << 22) } }
    func record(_ start: ContinuousClock.Instant, _ duration: Duration) { entries.withLock { $0.append((start, duration)) } }
    func all() -> [(start: ContinuousClock.Instant, duration: Duration)] { entries.withLock { $0 } }
}
