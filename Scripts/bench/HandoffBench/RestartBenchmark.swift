import Foundation
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Time from a supervised child's failure to its replacement running, with no backoff: a child
/// that throws as soon as it starts, restarted `count` times in a row. The failure instant is
/// taken just before the throw, the running instant as the next life's first statement; the
/// path between is the child task ending, the supervisor's coordinator deciding, and the new
/// task starting.
///
/// One-for-one restarts the child alone; one-for-all with four children first stops the three
/// others (graceful stop, each returns at once) and starts all four again.
struct RestartBenchmark {
    var count = 2_000

    /// The instants of one crash loop.
    final class Lives: Sendable {
        let starts = Mutex<[ContinuousClock.Instant]>([])
        let failures = Mutex<[ContinuousClock.Instant]>([])
        let done = Mutex<CheckedContinuation<Void, Never>?>(nil)
    }

    func run() async throws {
        say("restart: \(count) restarts per case, no backoff; \(ProcessInfo.processInfo.activeProcessorCount) cores")
        say(row("case", "median", "p99", "max", "restarts/s"))
        for (label, strategy, siblings) in [("one-for-one", SupervisionStrategy.oneForOne, 0), ("one-for-all, 4 children", .oneForAll, 3)] {
            let (latencies, elapsed) = try await measure(strategy: strategy, siblings: siblings)
            let sorted = latencies.sorted()
            say(row(label, us(sorted[sorted.count / 2]), us(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]), us(sorted.last!),
                    String(format: "%.0f", Double(latencies.count) / seconds(elapsed))))
        }
    }

    private func measure(strategy: SupervisionStrategy, siblings: Int) async throws -> ([Duration], Duration) {
        let lives = Lives()
        let total = count
        var configuration = SupervisorConfiguration(strategy: strategy)
        configuration.backoff = .none
        configuration.intensity = RestartIntensity(maxRestarts: total + 10, within: .seconds(3600))
        let crashing = ChildSpec("crash") {
            let now = ContinuousClock.now
            let life = lives.starts.withLock { starts in
                starts.append(now)
                return starts.count
            }
            if life > total {
                lives.done.withLock { $0.take() }?.resume()
                try await StopSignal.waitForStop()
                return
            }
            struct Crash: Error {}
            lives.failures.withLock { $0.append(.now) }
            throw Crash()
        }
        let others = (0..<siblings).map { index in ChildSpec("sibling-\(index)") { try await StopSignal.waitForStop() } }
        let supervisor = try Supervisor(name: "bench", configuration: configuration, children: others + [crashing])
        let start = ContinuousClock.now
        async let running: Void = supervisor.run()
        await withCheckedContinuation { continuation in
            let finished = lives.starts.withLock { $0.count > total }
            if finished { continuation.resume() } else { lives.done.withLock { $0 = continuation } }
        }
        let elapsed = ContinuousClock.now - start
        supervisor.stop()
        try await running
        let starts = lives.starts.withLock { $0 }
        let failures = lives.failures.withLock { $0 }
        return (zip(failures, starts.dropFirst()).map { $1 - $0 }, elapsed)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func us(_ duration: Duration) -> String {
        String(format: "%.1f µs", seconds(duration) * 1e6)
    }

    private func row(_ columns: String...) -> String {
        zip(columns, [26, 12, 12, 12, 10]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
