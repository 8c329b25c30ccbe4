import Handoff
import HandoffServices
import HandoffSystem
/// The limits an ``HTTPServer`` enforces on its clients.
///
/// Every limit has a default; a client that exceeds one is closed, so no client holds a
/// descriptor for ever:
/// - a request whose header has not arrived in full ``headerTimeout`` after its first byte gets
///   408 and is closed (slowloris);
/// - a request whose body has not arrived ``bodyTimeout`` after its header gets 408 and is
///   closed;
/// - a keep-alive connection idle for ``idleTimeout`` between requests is closed;
/// - at ``maxConnections`` open connections the server stops accepting until one closes (the
///   kernel's backlog holds the rest).
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.
package struct HTTPServerConfiguration: Sendable {
    /// How long a request's header may take to arrive in full once its first byte came.
    package var headerTimeout: Duration = .seconds(10)
    /// How long a request's body may take to arrive in full once its header came.
    package var bodyTimeout: Duration = .seconds(30)
    /// How long a keep-alive connection may wait idle for its next request.
    package var idleTimeout: Duration = .seconds(60)
    /// The most connections served at once.
    package var maxConnections: Int = 4096
    /// How long a graceful stop waits for slow readers of the last responses before it closes
    /// them anyway.
    package var stopGracePeriod: Duration = .seconds(10)
    /// How long accepting pauses when the process is out of descriptors (`EMFILE`, `ENFILE`) or
    /// memory, unless a connection of this server closes sooner.
    package var acceptRetryInterval: Duration = .milliseconds(250)
    /// Whether requests are answered from the start; `false` holds them (unread) until
    /// ``HTTPServer/startAnswering()``, for a server whose state is restored after it starts.
    package var answersAtOnce = true

    /// The defaults.
    package init() {}

    /// The coarse tick at which deadlines are checked: a quarter of the shortest timeout, between
    /// 5 ms and 100 ms.
    var tick: Duration {
        let shortest = min(headerTimeout, bodyTimeout, idleTimeout)
        return max(.milliseconds(5), min(.milliseconds(100), shortest / 4))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
