import Handoff
import HandoffServices
import HandoffSystem
/// What an ``AdminServer`` asks of its handler on the epoll thread.
enum AdminCommand: Sendable {
    /// Stop accepting, finish the responses in flight, close every connection, end the thread.
    case stop(CheckedContinuation<Void, Never>)
}
