import Foundation
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// How far past its deadline a stop of services that ignore the graceful stop ends.
///
/// Three runs of `count` stops each:
/// - per-service deadlines: 10 services, each ignoring the graceful stop, each with a stop
///   deadline of `deadline`: the stop's deadline is 10 × `deadline` (each is cancelled at its
///   own, in reverse order); the figure is the stop's duration minus that.
/// - total deadline: the same services with per-service deadlines of 60 s and
///   ``RunnerConfiguration/totalStopTimeout`` of 10 × `deadline`: everything left is cancelled
///   at once when it passes.
/// - cooperative: 10 services that return when asked (the baseline: what a stop costs).
struct StopDeadline {
    var services = 10
    var count = 20
    var deadline = Duration.milliseconds(20)

    /// A service that returns only when cancelled.
    struct Stubborn: ManagedService {
        let name: String
        let stopTimeout: Duration?
        func run() async throws { try await Task.sleep(for: .seconds(3600)) }
    }

    /// A service that returns as soon as it is asked to stop.
    struct Cooperative: ManagedService {
        let name: String
        func run() async throws { try await StopSignal.waitForStop() }
    }

    func run() async throws {
        let perService = try await measure { index in
            Stubborn(name: "s\(index)", stopTimeout: deadline)
        } configure: { _ in }
        let total = try await measure { index in
            Stubborn(name: "s\(index)", stopTimeout: .seconds(60))
        } configure: { $0.totalStopTimeout = deadline * services }
        let cooperative = try await measure { index in Cooperative(name: "c\(index)") } configure: { _ in }

        let budget = deadline * services
        say("stop of \(services) services, \(count) runs each; figures in ms")
        say(row("run", "deadline", "median", "max"))
        report("per-service deadlines \(ms(deadline)) ms, past the sum", perService.map { $0 - budget }, deadline: budget)
        report("total deadline \(ms(budget)) ms, past it", total.map { $0 - budget }, deadline: budget)
        report("cooperative services, stop duration", cooperative, deadline: .zero)
        let worst = (perService + total).map { $0 - budget }.max() ?? .zero
        say("worst overshoot: \(ms(worst)) ms (target: at most 50 ms)")
    }

    private func measure(_ make: (Int) -> any ManagedService, configure: (inout RunnerConfiguration) -> Void) async throws -> [Duration] {
        var durations: [Duration] = []
        for _ in 0..<count {
            var configuration = RunnerConfiguration()
            configuration.stopSignals = []
            configuration.logger = nil
            configuration.healthPollInterval = nil
            configure(&configuration)
            let runner = ServiceRunner(services: (0..<services).map(make), configuration: configuration)
            let elapsed = try await withThrowingTaskGroup(of: Duration?.self) { group in
                group.addTask {
                    try await runner.run()
                    return nil
                }
                while !runner.isReady { try await Task.sleep(for: .milliseconds(1)) }
                let start = ContinuousClock.now
                runner.stop()
                _ = try await group.next()
                return ContinuousClock.now - start
            }
            durations.append(elapsed)
        }
        return durations
    }

    private func report(_ label: String, _ values: [Duration], deadline: Duration) {
        let sorted = values.sorted()
        say(row(label, ms(deadline), ms(sorted[sorted.count / 2]), ms(sorted.last!)))
    }

    private func row(_ label: String, _ columns: String...) -> String {
        label.padding(toLength: 48, withPad: " ", startingAt: 0)
            + columns.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined(separator: " ")
    }

    private func ms(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.2f", value)
    }
}
