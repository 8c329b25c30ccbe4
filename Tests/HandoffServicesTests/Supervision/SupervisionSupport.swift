import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// A child whose lives a test scripts and counts: each life notes "start NAME" and, when it
/// ends, "stop NAME" (or "cancel NAME"); `failures[n]` makes the n-th life (1-based) throw at
/// once, `returns` makes a life return at once.
final class ScriptedChildren: Sendable {
    let journal = Journal()
    private let lives = Mutex<[String: Int]>([:])

    func lives(of name: String) -> Int { lives.withLock { $0[name, default: 0] } }

    /// A spec for child `name`: lives listed in `failing` throw, those in `returning` return;
    /// the others run until stopped.
    func spec(_ name: String, restart: RestartPolicy = .always, failing: Set<Int> = [], returning: Set<Int> = [], stopTimeout: Duration? = nil, ignoresStop: Bool = false) -> ChildSpec {
        ChildSpec(name, restart: restart, stopTimeout: stopTimeout) { [self] in
            let life = lives.withLock { lives in
                lives[name, default: 0] += 1
                return lives[name]!
            }
            journal.note("start \(name)")
            if failing.contains(life) {
                journal.note("fail \(name)")
                throw TestFailure(reason: "\(name) life \(life) failed")
            }
            if returning.contains(life) {
                journal.note("return \(name)")
                return
            }
            do {
                if ignoresStop {
                    try await Task.sleep(for: .seconds(600))
                } else {
                    try await StopSignal.waitForStop()
                }
                journal.note("stop \(name)")
            } catch {
                journal.note("cancel \(name)")
                throw error
            }
        }
    }
}

extension SupervisorConfiguration {
    /// No backoff, room for many restarts.
    static func quick(_ strategy: SupervisionStrategy = .oneForOne) -> SupervisorConfiguration {
        var configuration = SupervisorConfiguration(strategy: strategy)
        configuration.backoff = .none
        configuration.intensity = RestartIntensity(maxRestarts: 100, within: .seconds(10))
        return configuration
    }
}

/// Runs `supervisor` until `condition` holds, then stops it and returns what the run threw.
func supervise(_ supervisor: Supervisor, until condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async -> (any Error)? {
    let run = Task { try await supervisor.run() }
    await eventually(sourceLocation: sourceLocation, condition)
    supervisor.stop()
    do {
        try await run.value
        return nil
    } catch {
        return error
    }
}
