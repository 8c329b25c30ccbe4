#if DEBUG  // test support: built for the tests only (see Package.swift)
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport

/// What the test services did, in order, shared by all of them.
final class Journal: Sendable {
    private let entries = Mutex<[String]>([])

    func note(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
    func filtered(_ prefix: String) -> [String] { all.filter { $0.hasPrefix(prefix) } }
}

/// A service whose behaviour a test scripts.
struct ScriptedService: ManagedService {
    enum Stopping: Sendable {
        /// Returns when its stop signal is triggered.
        case graceful
        /// Ignores the stop signal; returns only when cancelled.
        case ignoresGracefulStop
    }

    let name: String
    let journal: Journal
    var stopping = Stopping.graceful
    /// Readiness: how many checks say "not yet" before one says ready; nil: never ready.
    var notReadyChecks: Int? = 0
    var readinessTimeout: Duration?
    var stopTimeout: Duration?
    /// Thrown by run() once this latch is fulfilled.
    var failure: AsyncLatch<String>?
    var checks = Checks()

    final class Checks: Sendable {
        let count = Mutex(0)
    }

    func initialize() async throws { journal.note("init \(name)") }

    func run() async throws {
        journal.note("run \(name)")
        defer { journal.note("stopped \(name)") }
        if let failure {
            async let message = failure.wait()
            let reason = try await message
            throw TestFailure(reason: reason)
        }
        switch stopping {
        case .graceful:
            try await StopSignal.waitForStop()
            journal.note("graceful \(name)")
        case .ignoresGracefulStop:
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                journal.note("cancelled \(name) graceful=\(StopSignal.isRequested)")
                throw error
            }
        }
    }

    func checkReadiness() async throws -> Bool {
        let count = checks.count.withLock { count in
            count += 1
            return count
        }
        guard let notReadyChecks else { return false }
        let ready = count > notReadyChecks
        journal.note("check \(name) \(ready)")
        return ready
    }
}

extension RunnerConfiguration {
    /// No signals trapped (the test process's own SIGTERM stays as it is), no logging, quick
    /// polls.
    static var quiet: RunnerConfiguration {
        var configuration = RunnerConfiguration()
        configuration.stopSignals = []
        configuration.logger = nil
        configuration.readinessPollInterval = .milliseconds(1)
        configuration.healthPollInterval = nil
        return configuration
    }
}

/// Polls `condition` until it holds or `timeout` passes (polling with a deadline).
func eventually(_ timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return }
        try? await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
}
#endif
