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
//   stuck             ignores the graceful stop and cancellation: run() never returns
//   hang-init         initialize() never returns
// FIXTURE_INIT_TIMEOUT_MS, FIXTURE_STOP_TIMEOUT_MS, FIXTURE_GRACE_MS, FIXTURE_ADMIN_TIMEOUT_MS set
// the runner's initialize timeout, stop timeout and stop grace period, and the admin endpoint's
// request timeout.
// Each generation adds its generation number to the counter fixture_ticks_total.
import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

Syscall.ignore(.pipe)
let environment = ProcessInfo.processInfo.environment
let release = TrappedSignals([Signal.user1.rawValue])

/// Writes one whole line to stdout with one write(2): the tests read it through a pipe.
func line(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    try? Syscall.writeAll(1, bytes)
}

let upgrader: Upgrader
do {
    upgrader = try await Upgrader(configuration: UpgraderConfiguration(pidFile: environment["FIXTURE_PID_FILE"]))
} catch {
    line("handoff-runner-fixture pid=\(Syscall.processID) generation=0 inherit-failed reason=\"\(error)\"")
    Syscall.exit(2)
}
let generation = upgrader.generation
func say(_ text: String) { line("handoff-runner-fixture pid=\(Syscall.processID) generation=\(generation) \(text)") }

struct Worker: ManagedService {
    let name = "worker"
    let mode: String
    let release: TrappedSignals
    var stopTimeout: Duration? { mode == "stubborn" ? .seconds(60) : nil }

    func initialize() async throws {
        if mode == "hang-init" { await Worker.never() }
    }

    /// Suspends for ever, deaf to cancellation.
    static func never() async {
        await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
    }

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
        case "stuck":
            await Worker.never()
        case "hold-until-usr1":
            for await _ in release.stream { break }
        default:
            break
        }
    }
}

var admin = AdminConfiguration(isEnabled: true, address: "127.0.0.1:0")
admin.requestTimeout = .seconds(5)
func milliseconds(_ name: String) -> Duration? { environment[name].flatMap { Int($0) }.map { .milliseconds($0) } }
if let timeout = milliseconds("FIXTURE_ADMIN_TIMEOUT_MS") { admin.requestTimeout = timeout }
let adminServer = try AdminServer(configuration: admin, descriptors: upgrader.descriptors)
var configuration = RunnerConfiguration()
configuration.logger = nil
configuration.healthPollInterval = nil
if let timeout = milliseconds("FIXTURE_INIT_TIMEOUT_MS") { configuration.initializeTimeout = timeout }
if let timeout = milliseconds("FIXTURE_STOP_TIMEOUT_MS") { configuration.stopTimeout = timeout }
if let grace = milliseconds("FIXTURE_GRACE_MS") { configuration.stopGracePeriod = grace }
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
Syscall.exit(outcome.status)
