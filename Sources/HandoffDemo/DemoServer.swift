#if canImport(Glibc)
import Glibc
#endif
import CHandoff
import Handoff

/// The demo's HTTP/1.1 server, as an upgrade participant.
///
/// The server runs on its own epoll thread (``HTTPServer`` on an ``EventLoop``); the methods
/// here are called from Swift concurrency, queue a ``ServerCommand`` for that thread and
/// suspend until the thread resumes them.
///
/// ```swift
/// let server = try DemoServer(listeners: [fd], generation: upgrader.generation, log: log)
/// try await upgrader.ready()
/// try await upgrader.run(participant: server)
/// await server.stop()
/// ```
final class DemoServer: UpgradeParticipant {
    private let loop: EventLoop<ServerCommand>
    private let log: DemoLog

    /// Starts serving on `listeners` right away.
    /// - Parameters:
    ///   - listeners: Listening sockets. They are switched to non-blocking mode (a flag shared
    ///     with every process holding them, which must all cope with `EAGAIN`) and never closed.
    ///   - generation: The upgrade generation `GET /` reports.
    ///   - log: Where the upgrade steps are reported.
    /// - Throws: ``SystemCallError`` naming the call that failed.
    init(listeners: [CInt], generation: Int, log: DemoLog) throws(SystemCallError) {
        self.log = log
        loop = try EventLoop()
        for listener in listeners {
            let flags = fcntl(listener, F_GETFL)
            guard flags >= 0 else { throw SystemCallError("fcntl(F_GETFL)") }
            guard fcntl(listener, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw SystemCallError("fcntl(F_SETFL)")
            }
            try loop.epoll.add(listener, events: EPOLLIN.rawValue)
        }
        let epoll = loop.epoll
        let responder = HTTPResponder(pid: Int(getpid()), generation: generation)
        try loop.start { HTTPServer(epoll: epoll, listeners: listeners, responder: responder) }
    }

    /// Stops accepting, writes out pending responses and detaches every open connection.
    /// - Returns: The connections, each with the bytes of its next request already read.
    /// - Throws: ``HTTPServer/Refusal`` if the server is not serving.
    func drain() async throws -> [HandoffConnection] {
        log("state=draining")
        let connections = try await withCheckedThrowingContinuation { loop.submit(.drain($0)) }
        log("state=drained connections=\(connections.count)")
        return connections
    }

    /// Accepts again and serves the connections ``drain()`` returned.
    func resume(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.resume(connections, $0)) }
        log("state=resumed connections=\(connections.count)")
    }

    /// Serves the connections the previous process handed over.
    func adopt(_ connections: [HandoffConnection]) async {
        await withCheckedContinuation { loop.submit(.adopt(connections, $0)) }
        log("state=adopted connections=\(connections.count)")
    }

    /// Stops gracefully: stops accepting, finishes writing responses, closes every connection
    /// still open and ends the event loop thread. Leaves the listeners open.
    ///
    /// Connections that a drain detached are not touched: they belong to the successor.
    func stop() async {
        await withCheckedContinuation { loop.submit(.stop($0)) }
    }
}
