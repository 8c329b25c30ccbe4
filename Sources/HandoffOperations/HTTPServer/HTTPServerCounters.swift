import Synchronization
import Handoff
import HandoffServices
import HandoffSystem

/// What an ``HTTPServer`` has done since it started, for metrics and tests.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.
package struct HTTPServerCounts: Sendable, Equatable {
    /// Connections accepted.
    package var accepted = 0
    /// Requests answered by the routes.
    package var requests = 0
    /// Malformed requests answered with 400, 413, 414, 431, 501 or 505.
    package var rejected = 0
    /// Connections closed because a header or a body was too slow to arrive (408).
    package var requestTimeouts = 0
    /// Keep-alive connections closed for idling too long.
    package var idleTimeouts = 0
    /// Times accepting paused: out of descriptors or memory, or at the connection cap.
    package var acceptsPaused = 0
}

/// The loop thread's counts, readable from any thread.
final class HTTPServerCounters: Sendable {
    private let counts = Mutex(HTTPServerCounts())

    func add(_ field: WritableKeyPath<HTTPServerCounts, Int>) {
        counts.withLock { $0[keyPath: field] += 1 }
    }

    var snapshot: HTTPServerCounts { counts.withLock { $0 } }
}
