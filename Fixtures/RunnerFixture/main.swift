// handoff-runner-fixture: a process whose services a ServiceRunner runs, for the tests of
// signals, the admin endpoint during an upgrade's drain, and metrics across upgrades.
//
// Services, in order: admin (AdminServer on 127.0.0.1:0, inherited by successors), upgrader
// (UpgraderService), worker. Every line it prints on stdout starts with
// "handoff-runner-fixture pid=<pid> generation=<n>": "admin port=<p>", "service <name> <state>"
// for every state change, "worker stop-requested", "worker cancelled", "exit status=<n>".
// FIXTURE_WORKER picks how the worker stops:
//   graceful          returns when asked to stop (the default)
//   stubborn          ignores the graceful stop (deadline 60 s); returns only when cancelled
//   hold-until-usr1   when asked to stop, waits for SIGUSR1, then returns
// Each generation adds its generation number to the counter fixture_ticks_total.
import FoundationEssentials
import Glibc
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

signal(SIGPIPE, SIG_IGN)
let environment = ProcessInfo.processInfo.environment
let release = TrappedSignals([SIGUSR1])

/// Writes one whole line to stdout with one write(2): the tests read it through a pipe.
func line(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

let upgrader: Upgrader
do {
    upgrader = try await Upgrader(configuration: UpgraderConfiguration(pidFile: environment["FIXTURE_PID_FILE"]))
} catch {
    line("handoff-runner-fixture pid=\(getpid()) generation=0 inherit-failed reason=\"\(error)\"")
    exit(2)
}
let generation = upgrader.generation
func say(_ text: String) { line("handoff-runner-fixture pid=\(getpid()) generation=\(generation) \(text)") }

struct Worker: ManagedService {
    let name = "worker"
    let mode: String
    let release: TrappedSignals
    var stopTimeout: Duration? { mode == "stubborn" ? .seconds(60) : nil }

    func run() async throws {
        try await StopSignal.waitForStop()
        say("worker stop-requested")
        switch mode {
        case "stubborn":
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                say("worker cancelled")
                throw error
            }
        case "hold-until-usr1":
            for await _ in release.stream { break }
        default:
            break
        }
    }
}

var admin = AdminConfiguration(isEnabled: true, address: "127.0.0.1:0")
admin.requestTimeout = .seconds(5)
let adminServer = try AdminServer(configuration: admin, descriptors: upgrader.descriptors)
var configuration = RunnerConfiguration()
configuration.logger = nil
configuration.healthPollInterval = nil
let runner = ServiceRunner(
    services: [adminServer, UpgraderService(upgrader), Worker(mode: environment["FIXTURE_WORKER"] ?? "graceful", release: release)],
    configuration: configuration)
runner.metrics.counter("fixture_ticks_total", help: "The sum of the generations this process and its predecessors ran as.").increment(by: Double(generation))
say("admin port=\(adminServer.boundAddress?.port ?? 0)")

let changes = runner.stateChanges()
let outcome = await withTaskGroup(of: HandoffMain.Outcome?.self) { group in
    group.addTask {
        for await change in changes { say("service \(change.service) \(change.state)") }
        return nil
    }
    group.addTask { await HandoffMain.run(runner, upgrader: upgrader) { say("event \($0)") } }
    var outcome: HandoffMain.Outcome?
    for await result in group where result != nil {
        outcome = result
        group.cancelAll()
    }
    return outcome!
}
if let error = outcome.error { say("run-failed reason=\"\(error)\"") }
say("exit status=\(outcome.status) replaced=\(outcome.replaced)")
exit(outcome.status)
