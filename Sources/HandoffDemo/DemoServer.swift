import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's HTTP/1.1 server, as an upgrade participant.
///
/// The server is the library's HTTP engine (`HTTPServer`, on its own epoll thread) with the
/// demo's routes (``HTTPResponder``).
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
    private let server: HTTPServer
    private let log: DemoLog

    /// Starts serving on `listeners` right away.
    /// - Parameters:
    ///   - listeners: Listening sockets. They are switched to non-blocking mode (a flag shared
    ///     with every process holding them, which must all cope with `EAGAIN`) and never closed.
    ///   - generation: The upgrade generation `GET /` reports.
    ///   - state: The counter and the map the routes serve.
    ///   - jobs: The jobs pipeline `/jobs` feeds, if any.
    ///   - configuration: The server's timeouts and connection cap.
    ///   - log: Where the upgrade steps are reported.
    /// - Throws: `HandoffError` naming the call that failed.
    init(listeners: [CInt], generation: Int, state: DemoState, jobs: DemoJobs? = nil, configuration: HTTPServerConfiguration = .init(), log: DemoLog) throws {
        self.log = log
        var configuration = configuration
        configuration.answersAtOnce = false
        let responder = HTTPResponder(pid: Int(Syscall.processID), generation: generation, state: state, jobs: jobs)
        server = try HTTPServer(listeners: listeners, routes: responder, configuration: configuration)
    }

    /// Stops accepting, writes out pending responses and detaches every open connection.
    /// - Returns: The connections, each with the bytes of its next request already read.
    /// - Throws: `HandoffError` if the server is not serving.
    func drain() async throws -> [HandoffConnection] {
        log("state=draining")
        let connections = try await server.drain(for: .upgrade)
        log("state=drained connections=\(connections.count)")
        return connections
    }

    /// Accepts again and serves the connections ``drain()`` returned.
    func resume(_ connections: [HandoffConnection]) async {
        await server.resume(connections, for: .upgrade)
        log("state=resumed connections=\(connections.count)")
    }

    /// Serves the connections the previous process handed over.
    func adopt(_ connections: [HandoffConnection]) async {
        await server.adopt(connections)
        log("state=adopted connections=\(connections.count)")
    }

    /// Answers requests from now on, the held ones first. Idempotent.
    func startAnswering() async {
        await server.startAnswering()
    }

    /// Drains for a final stop: stops accepting, writes out pending responses and detaches
    /// every open connection, so that nothing changes the state any more. An upgrade is
    /// refused from then on.
    /// - Returns: The connections, for ``cancelStop(_:)`` or ``stop(closing:)``.
    /// - Throws: `HandoffError` if the server is not serving (an upgrade is draining).
    func drainForStop() async throws -> [HandoffConnection] {
        try await server.drain(for: .stop)
    }

    /// Serves again after ``drainForStop()``, when the stop could not go on.
    func cancelStop(_ connections: [HandoffConnection]) async {
        await server.resume(connections, for: .stop)
    }

    /// Stops gracefully: stops accepting, finishes writing responses, closes every connection
    /// still open and `closing` (without reading from them). The event loop thread stays, idle.
    /// Leaves the listeners open.
    ///
    /// Connections that a drain for an upgrade detached are not touched: they belong to the
    /// successor.
    func stop(closing: [HandoffConnection] = []) async {
        await server.stop(closing: closing)
    }
}
