#if canImport(Glibc)
import Glibc
#endif
import CHandoff
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's HTTP/1.1 server, as an upgrade participant.
///
/// The server runs on its own epoll thread (``HTTPServer`` on an `EpollThread`); the methods
/// here are called from Swift concurrency, queue a ``ServerCommand`` for that thread and
/// suspend until the thread resumes them.
///
/// It accepts from the start but answers nothing before ``startAnswering()``, which the
/// application calls once the upgrader has restored `state`:
///
/// ```swift
/// let server = try DemoServer(listeners: [fd], generation: upgrader.generation, state: state, log: log)
/// try await upgrader.ready()
/// async let running: Void = upgrader.run(participant: server)
/// _ = await upgrader.state.restored()
/// await server.startAnswering()
/// ```
final class DemoServer: UpgradeParticipant {
    private let loop: EpollThread<ServerCommand>
    private let log: DemoLog

    /// Starts serving on `listeners` right away.
    /// - Parameters:
    ///   - listeners: Listening sockets. They are switched to non-blocking mode (a flag shared
    ///     with every process holding them, which must all cope with `EAGAIN`) and never closed.
    ///   - generation: The upgrade generation `GET /` reports.
    ///   - state: The counter and the map the routes serve.
    ///   - jobs: The jobs pipeline `/jobs` feeds, if any.
    ///   - log: Where the upgrade steps are reported.
    /// - Throws: ``SystemCallError`` or `HandoffError` naming the call that failed.
    init(listeners: [CInt], generation: Int, state: DemoState, jobs: DemoJobs? = nil, log: DemoLog) throws {
        self.log = log
        loop = try EpollThread()
        for listener in listeners {
            let flags = fcntl(listener, F_GETFL)
            guard flags >= 0 else { throw SystemCallError("fcntl(F_GETFL)") }
            guard fcntl(listener, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw SystemCallError("fcntl(F_SETFL)")
            }
            try loop.epoll.add(listener, events: EPOLLIN.rawValue)
        }
        let epoll = loop.epoll
        let responder = HTTPResponder(pid: Int(getpid()), generation: generation, state: state, jobs: jobs)
        try loop.start { HTTPServer(epoll: epoll, listeners: listeners, responder: responder) }
    }

    /// Stops accepting, writes out pending responses and detaches every open connection.
    /// - Returns: The connections, each with the bytes of its next request already read.
    /// - Throws: ``HTTPServer/Refusal`` if the server is not serving.
    func drain() async throws -> [HandoffConnection] {
        log("state=draining")
        let connections = try await withCheckedThrowingContinuation { loop.submit(.drain(.upgrade, $0)) }
        log("state=drained connections=\(connections.count)")
        return connections
    }

    /// Accepts again and serves the connections ``drain()`` returned.
    func resume(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.resume(.upgrade, connections, $0)) }
        log("state=resumed connections=\(connections.count)")
    }

    /// Serves the connections the previous process handed over.
    func adopt(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.adopt(connections, $0)) }
        log("state=adopted connections=\(connections.count)")
    }

    /// Answers requests from now on, the held ones first. Idempotent.
    func startAnswering() async {
        await withCheckedContinuation { loop.submit(.startAnswering($0)) }
    }

    /// Drains for a final stop: stops accepting, writes out pending responses and detaches
    /// every open connection, so that nothing changes the state any more. An upgrade is
    /// refused from then on.
    /// - Returns: The connections, for ``cancelStop(_:)`` or ``stop(closing:)``.
    /// - Throws: ``HTTPServer/Refusal`` if the server is not serving (an upgrade is draining).
    func drainForStop() async throws -> [HandoffConnection] {
        try await withCheckedThrowingContinuation { loop.submit(.drain(.stop, $0)) }
    }

    /// Serves again after ``drainForStop()``, when the stop could not go on.
    func cancelStop(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.resume(.stop, connections, $0)) }
    }

    /// Stops gracefully: stops accepting, finishes writing responses, closes every connection
    /// still open and `closing` (without reading from them). The event loop thread stays, idle.
    /// Leaves the listeners open.
    ///
    /// Connections that a drain for an upgrade detached are not touched: they belong to the
    /// successor.
    func stop(closing: [HandoffConnection] = []) async {
        await withCheckedContinuation { loop.submit(.stop(closing: closing, $0)) }
    }
}
