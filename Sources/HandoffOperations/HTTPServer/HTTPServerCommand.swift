import Handoff
import HandoffServices
import HandoffSystem
/// What an ``HTTPServer`` asks of its loop thread. Each command carries the continuation the
/// loop resumes once the work is done.
enum HTTPServerCommand: Sendable {
    /// Stop accepting, flush, and detach every connection (see ``HTTPServer/drain(for:)``).
    case drain(HTTPServer.DrainPurpose, CheckedContinuation<[HandoffConnection], any Error>)
    /// Accept again and serve `connections`, which an earlier drain for the same purpose returned.
    case resume(HTTPServer.DrainPurpose, [HandoffConnection], CheckedContinuation<Void, Never>)
    /// Serve `connections` handed over by the previous process.
    case adopt([HandoffConnection], CheckedContinuation<Void, Never>)
    /// Answer requests from now on.
    case startAnswering(CheckedContinuation<Void, Never>)
    /// Stop accepting, flush, close every connection and `closing` (without reading them); end
    /// the loop thread once stopped if `endLoop`.
    case stop(closing: [HandoffConnection], endLoop: Bool, CheckedContinuation<Void, Never>)
}
