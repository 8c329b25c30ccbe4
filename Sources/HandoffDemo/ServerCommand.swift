import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// What ``DemoServer`` asks of the ``HTTPServer`` on its event loop thread.
///
/// Each command carries the continuation the loop resumes once the work is done.
enum ServerCommand: Sendable {
    /// Why the server drains: only a resume for the same reason undoes the drain.
    enum DrainPurpose: Sendable {
        /// An upgrade: the connections go to the successor, or back through a resume.
        case upgrade
        /// A final stop: the state is offered once nothing changes it any more.
        case stop
    }

    /// Stop accepting, flush, and detach every connection (see ``DemoServer/drain()``).
    case drain(DrainPurpose, CheckedContinuation<[HandoffConnection], any Error>)
    /// Accept again and serve `connections`, which an earlier drain for the same purpose returned.
    case resume(DrainPurpose, [HandoffConnection], CheckedContinuation<Void, Never>)
    /// Serve `connections` handed over by the previous process.
    case adopt([HandoffConnection], CheckedContinuation<Void, Never>)
    /// Answer requests from now on: the state they depend on is restored.
    case startAnswering(CheckedContinuation<Void, Never>)
    /// Stop accepting, flush, close every connection and `closing` (drained ones, closed
    /// without reading), and end the loop.
    case stop(closing: [HandoffConnection], CheckedContinuation<Void, Never>)
}
