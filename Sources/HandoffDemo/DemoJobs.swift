import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// One job of the demo's pipeline: `POST /jobs` makes it, a transform worker passes it on, the
/// persist worker appends its id to the jobs log.
struct DemoJob: Codable, Sendable {
    var id: Int
}

/// The demo's jobs: the two mailboxes of the pipeline (web request → transform → persist) and
/// the counts `GET /jobs` answers. The counts survive upgrades and stops like the rest of the
/// state; so do the mailboxes, registered on their own.
final class DemoJobs: HandoffAware {
    /// What is handed over.
    struct State: Codable, Sendable, Equatable {
        /// The id the next job gets: ids are never reused, across generations too.
        var nextID = 0
        var accepted = 0
        var done = 0
    }

    /// State handed over that cannot be right; ``resume(from:)`` refuses it.
    struct InvalidState: Error, CustomStringConvertible {
        var description: String
    }

    static let handoffLabel = "handoff-demo.jobs"
    static let handoffVersion = 1

    /// Jobs accepted, waiting for a transform worker.
    let incoming: Mailbox<DemoJob>
    /// Jobs transformed, waiting for the persist worker.
    let transformed: Mailbox<DemoJob>
    /// Where the supervisors count their restarts (carried across upgrades).
    let metrics: MetricsRegistry
    private let counts = Mutex(State())

    init(metrics: MetricsRegistry) throws {
        self.metrics = metrics
        incoming = try Mailbox(name: "jobs.incoming", capacity: 10_000)
        transformed = try Mailbox(name: "jobs.transformed", capacity: 1_000)
    }

    /// Accepts a new job, if the mailbox has room (never waits: this runs on the event loop).
    /// - Returns: The job's id, or why it was refused.
    func accept() -> Result<Int, HandoffError> {
        counts.withLock { counts in
            let id = counts.nextID
            do throws(HandoffError) {
                try incoming.trySend(DemoJob(id: id))
            } catch {
                return .failure(error)
            }
            counts.nextID += 1
            counts.accepted += 1
            return .success(id)
        }
    }

    /// Counts jobs persisted.
    func markDone(_ count: Int) { counts.withLock { $0.done += count } }

    /// `{"accepted":…,"done":…,"pending":…,"restarts":…}`: pending counts both mailboxes,
    /// delivered or not; restarts are every supervisor's of the pipeline, over every generation.
    var json: String {
        let state = counts.withLock { $0 }
        let pending = incoming.counts.held + transformed.counts.held
        let restarts = metrics.counter("handoff_supervisor_restarts_total", help: "Restarts of supervised children.")
        let total = ["jobs", "transform"].map { restarts.value(labels: ["supervisor": $0]) }.reduce(0, +)
        return #"{"accepted":\#(state.accepted),"done":\#(state.done),"pending":\#(pending),"restarts":\#(Int(total))}"#
    }

    // MARK: HandoffAware

    func handoffState() async throws -> State { counts.withLock { $0 } }

    /// Adds the predecessor's counts to this process's own (its workers may have started on
    /// the handed-over jobs already) and continues its ids.
    /// - Throws: ``InvalidState`` for counts that cannot be right; nothing is changed then.
    func resume(from state: State) async throws {
        guard state.nextID >= state.accepted, state.accepted >= state.done, state.done >= 0 else {
            throw InvalidState(description: "next id \(state.nextID), accepted \(state.accepted), done \(state.done)")
        }
        counts.withLock { counts in
            counts.nextID = max(counts.nextID, state.nextID)
            counts.accepted += state.accepted
            counts.done += state.done
        }
    }
}
