import Handoff

/// What ``DemoServer`` asks of the ``HTTPServer`` on its event loop thread.
///
/// Each command carries the continuation the loop resumes once the work is done.
enum ServerCommand: Sendable {
    /// Stop accepting, flush, and detach every connection (see ``DemoServer/drain()``).
    case drain(CheckedContinuation<[HandoffConnection], any Error>)
    /// Accept again and serve `connections`, which an earlier drain returned.
    case resume([HandoffConnection], CheckedContinuation<Void, Never>)
    /// Serve `connections` handed over by the previous process.
    case adopt([HandoffConnection], CheckedContinuation<Void, Never>)
    /// Stop accepting, flush, close every connection and end the loop.
    case stop(CheckedContinuation<Void, Never>)
}
