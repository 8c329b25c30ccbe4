// handoff-mailbox-fixture: a process whose mailbox of jobs is handed to its successor, for the
// test of pending messages across a real upgrade.
//
// Services, in order: the upgrader, then a worker group of one (after the upgrader, so the
// upgrade's drain stops it before the state is collected). The mailbox "jobs" is registered
// with the upgrader. Every line on stdout starts with
// "handoff-mailbox-fixture pid=<pid> generation=<n>".
//
// "upgrader ready" once it can be upgraded (SIGHUP). With FIXTURE_REFUSE_STATE=1, generations
// after the first refuse the handover (a tripwire state throws in resume), so the upgrade rolls
// back and generation 1's worker starts again.
// Generation 1 sends FIXTURE_SEND jobs (ids 0…), acknowledges the first FIXTURE_ACK of them,
// receives two more and holds them unacknowledged, and prints
// "holding acked=<n> held=<id>,<id> pending=<n>". Asked to stop by the drain, its worker
// returns without acknowledging them.
// Later generations acknowledge every job they get and, once FIXTURE_EXPECT have been, print
// "consumed count=<n> first=<id> last=<id> ordered=<bool> duplicates=<n> redelivered=<n>".
import FoundationEssentials
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

Syscall.ignore(.pipe)
let environment = ProcessInfo.processInfo.environment

struct Job: Codable, Sendable {
    var id: Int
    var payload: String
}

/// Writes one whole line to stdout with one write(2): the tests read it through a pipe.
func line(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    try? Syscall.writeAll(1, bytes)
}

let upgrader: Upgrader
do {
    upgrader = try await Upgrader(configuration: UpgraderConfiguration(pidFile: environment["FIXTURE_PID_FILE"]))
} catch {
    line("handoff-mailbox-fixture pid=\(Syscall.processID) generation=0 inherit-failed reason=\"\(error)\"")
    Syscall.exit(2)
}
let generation = upgrader.generation
func say(_ text: String) { line("handoff-mailbox-fixture pid=\(Syscall.processID) generation=\(generation) \(text)") }

let jobs = try Mailbox<Job>(name: "jobs", capacity: 16_384)
try upgrader.state.register(jobs)

/// State whose resume fails in a successor when FIXTURE_REFUSE_STATE=1: the handover is refused.
final class Tripwire: HandoffAware {
    struct State: Codable, Sendable {}
    struct Refused: Error {}
    static let handoffLabel = "fixture.tripwire"
    static let handoffVersion = 1
    let refuses: Bool
    init(refuses: Bool) { self.refuses = refuses }
    func handoffState() async throws -> State { State() }
    func resume(from state: State) async throws { if refuses { throw Refused() } }
}
try upgrader.state.register(Tripwire(refuses: generation > 1 && environment["FIXTURE_REFUSE_STATE"] == "1"))

/// What a later generation's worker saw.
final class Seen: Sendable {
    struct State {
        var ids: [Int] = []
        var unique: Set<Int> = []
        var redelivered = 0
        var reported = false
    }
    let state = Mutex(State())
}
let seen = Seen()
let expected = Int(environment["FIXTURE_EXPECT"] ?? "") ?? 0

let worker: @Sendable (Int) async throws -> Void
if generation == 1 {
    let acknowledge = Int(environment["FIXTURE_ACK"] ?? "") ?? 0
    worker = { _ in
        try await jobs.consume { consumer in
            for _ in 0..<acknowledge {
                guard let delivery = try await consumer.next() else { return }
                consumer.acknowledge(delivery)
            }
            guard let first = try await consumer.next(), let second = try await consumer.next() else { return }
            say("holding acked=\(acknowledge) held=\(first.message.id),\(second.message.id) pending=\(jobs.counts.pending)")
            try await StopSignal.waitForStop()
            // Returns holding both: the scope gives them back.
        }
    }
} else {
    worker = { _ in
        try await jobs.process { delivery in
            let report = seen.state.withLock { state -> String? in
                state.ids.append(delivery.message.id)
                state.unique.insert(delivery.message.id)
                if delivery.attempt > 1 { state.redelivered += 1 }
                guard state.ids.count == expected, !state.reported else { return nil }
                state.reported = true
                let ordered = zip(state.ids, state.ids.dropFirst()).allSatisfy { $0 < $1 }
                return "consumed count=\(state.ids.count) first=\(state.ids.first!) last=\(state.ids.last!) ordered=\(ordered) duplicates=\(state.ids.count - state.unique.count) redelivered=\(state.redelivered)"
            }
            if let report { say(report) }
        }
    }
}

if generation == 1 {
    for id in 0..<(Int(environment["FIXTURE_SEND"] ?? "") ?? 0) {
        try jobs.trySend(Job(id: id, payload: "job \(id)"))
    }
}

var configuration = RunnerConfiguration()
configuration.logger = nil
configuration.healthPollInterval = nil
let workers = try WorkerGroup(name: "workers", count: 1, worker: worker)
let runner = ServiceRunner(services: [UpgraderService(upgrader) { say("upgrader ready") }, workers], configuration: configuration)
let outcome = await HandoffMain.run(runner, upgrader: upgrader) { say("event \($0)") }
if let error = outcome.error { say("run-failed reason=\"\(error)\"") }
say("exit status=\(outcome.status) replaced=\(outcome.replaced)")
Syscall.exit(outcome.status)
