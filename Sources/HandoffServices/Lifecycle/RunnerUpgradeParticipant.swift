import Synchronization
import Handoff
import HandoffSystem

/// The runner's side of an upgrade, kept by ``UpgraderService``: the drain is the runner's
/// ordered drain of the services after the upgrader, and a rollback resumes them.
///
/// The connection bookkeeping lives here, not in the runner: each ``UpgradeParticipant`` after
/// the upgrader is drained by its own ``UpgradeParticipant/drain()`` (the runner's drain step
/// for it), and the connections it gave up are held by its index until the upgrade commits
/// (they go to the successor, in index order) or rolls back (each participant gets its own
/// back before the stopped services start again).
final class RunnerUpgradeParticipant: UpgradeParticipant {
    private let runner: ServiceRunner
    /// The upgrader service's index: the services after it are drained.
    private let boundary: Int
    /// What each participant gave up in the current drain, by service index.
    private let drained = Mutex<[Int: [HandoffConnection]]>([:])

    init(runner: ServiceRunner, boundary: Int) {
        self.runner = runner
        self.boundary = boundary
    }

    /// The participants after the upgrader, by service index.
    private var participants: [(index: Int, participant: any UpgradeParticipant)] {
        runner.services.indices.filter { $0 > boundary }.compactMap { index in
            (runner.services[index] as? any UpgradeParticipant).map { (index, $0) }
        }
    }

    func drain() async throws -> [HandoffConnection] {
        drained.withLock { $0 = [:] }
        var steps: [Int: ServiceRunner.DrainStep] = [:]
        for (index, participant) in participants {
            steps[index] = {
                let connections = try await participant.drain()
                self.drained.withLock { $0[index] = connections }
            }
        }
        try await runner.drain(after: boundary, purpose: "for an upgrade", steps: steps)
        return drained.withLock { held in held.keys.sorted().flatMap { held[$0]! } }
    }

    func resume(_ connections: [HandoffConnection]) async {
        // Each participant's own connections were kept here; `connections` is their sum.
        let services = runner.services
        await runner.resume {
            let held = self.drained.withLock { held in
                defer { held = [:] }
                return held
            }
            for index in held.keys.sorted() {
                await (services[index] as? any UpgradeParticipant)?.resume(held[index]!)
            }
        }
    }

    /// Hands the predecessor's connections to the last participant after the upgrader (closes
    /// them if there is none).
    func adopt(_ connections: [HandoffConnection]) async {
        guard let last = participants.last?.participant else {
            connections.forEach { Syscall.close($0.descriptor) }
            return
        }
        await last.adopt(connections)
    }
}
