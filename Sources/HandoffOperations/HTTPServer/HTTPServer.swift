import CHandoff
import Handoff
import HandoffServices
import HandoffSystem

/// The package's HTTP/1.1 server engine, on its own epoll thread: the admin endpoint and
/// `handoff-demo` both serve with it, and their routes plug in (``HTTPRoutes``).
///
/// It parses with the bounded ``HTTPRequestParser``, answers pipelined requests in order,
/// enforces ``HTTPServerConfiguration``'s timeouts and connection cap, and never spins: out of
/// descriptors it stops accepting until a connection closes. For upgrades it drains (detaches
/// every connection, with the unread start of its next request, for the successor), resumes
/// after a failed upgrade and adopts what a predecessor handed over.
///
/// ```swift
/// let server = try HTTPServer(listeners: [fd], routes: MyRoutes())
/// let connections = try await server.drain(for: .upgrade)   // an upgrade begins
/// await server.resume(connections, for: .upgrade)            // … and failed
/// await server.stop()
/// ```
///
/// Methods are called from Swift concurrency: each queues a command for the loop thread and
/// suspends until the thread has carried it out.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.
package final class HTTPServer: Sendable {
    /// Why the server drains: only a resume for the same reason undoes the drain.
    package enum DrainPurpose: String, Sendable, CustomStringConvertible {
        /// An upgrade: the connections go to the successor, or back through a resume.
        case upgrade
        /// A final stop: nothing changes the state once drained.
        case stop

        package var description: String { rawValue }
    }

    /// The limits in force.
    package let configuration: HTTPServerConfiguration
    private let loop: EpollThread<HTTPServerCommand>
    private let counters = HTTPServerCounters()

    /// Starts serving on `listeners` right away (answering at once, or holding requests until
    /// ``startAnswering()``, as the configuration says).
    /// - Parameters:
    ///   - listeners: Listening sockets. They are switched to non-blocking mode (a flag shared
    ///     with every process holding them) and never closed.
    ///   - routes: What answers the requests.
    ///   - configuration: Timeouts, cap, and whether to answer at once.
    /// - Throws: ``HandoffError`` naming the call that failed.
    package init(listeners: [CInt], routes: any HTTPRoutes, configuration: HTTPServerConfiguration = .init()) throws(HandoffError) {
        self.configuration = configuration
        loop = try EpollThread()
        for listener in listeners {
            try Syscall.setNonBlocking(listener)
            try loop.epoll.add(listener, events: EPOLLIN.rawValue)
        }
        let epoll = loop.epoll
        let counters = self.counters
        try loop.start {
            HTTPServerHandler(epoll: epoll, listeners: listeners, routes: routes, configuration: configuration, counters: counters)
        }
    }

    /// What the server has done so far.
    package var counts: HTTPServerCounts { counters.snapshot }

    /// Stops accepting, writes out pending responses and detaches every open connection.
    /// - Parameter purpose: Why; only a ``resume(_:for:)`` for the same purpose undoes it.
    /// - Returns: The connections, each with the bytes of its next request already read.
    /// - Throws: ``HandoffError/Code/drainFailed`` if the server is not serving.
    package func drain(for purpose: DrainPurpose) async throws -> [HandoffConnection] {
        try await withCheckedThrowingContinuation { loop.submit(.drain(purpose, $0)) }
    }

    /// Accepts again and serves the connections ``drain(for:)`` returned.
    /// - Parameters:
    ///   - connections: What the drain returned.
    ///   - purpose: The drain's purpose.
    package func resume(_ connections: [HandoffConnection], for purpose: DrainPurpose) async {
        await withCheckedContinuation { loop.submit(.resume(purpose, connections, $0)) }
    }

    /// Serves the connections the previous process handed over.
    /// - Parameter connections: The handed-over connections.
    package func adopt(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.adopt(connections, $0)) }
    }

    /// Answers requests from now on, the held ones first. Idempotent.
    package func startAnswering() async {
        await withCheckedContinuation { loop.submit(.startAnswering($0)) }
    }

    /// Stops gracefully: stops accepting, answers the requests already arrived, finishes writing
    /// responses (for at most ``HTTPServerConfiguration/stopGracePeriod``), closes every
    /// connection and `closing` (without reading them). Leaves the listeners open; the loop
    /// thread stays, idle. Connections an upgrade's drain detached are not touched.
    /// - Parameters:
    ///   - closing: Drained connections to close.
    ///   - endingThread: Whether the loop thread ends once stopped; no command is answered
    ///     after that, so call nothing more.
    package func stop(closing: [HandoffConnection] = [], endingThread: Bool = false) async {
        await withCheckedContinuation { loop.submit(.stop(closing: closing, endLoop: endingThread, $0)) }
    }
}
