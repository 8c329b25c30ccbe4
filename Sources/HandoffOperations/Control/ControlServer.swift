import Handoff
import HandoffServices
import HandoffSystem

/// The control socket an operator's `handoffctl` talks to: a Unix stream socket in a private
/// directory, answering `status` and `upgrade` requests.
///
/// List it before the upgrader, so it still answers while the services after it drain, and it
/// stops after them (an `upgrade` request is answered before the replaced process exits):
///
/// ```swift
/// let control = try ControlServer(
///     configuration: ControlConfiguration(socketPath: "/run/myapp/control.sock"), upgrader: upgrader)
/// let runner = ServiceRunner(services: [control, state, UpgraderService(upgrader), http])
/// ```
///
/// Access is the file system's first: the socket's directory is 0700 and the socket 0600.
/// Then every connection's peer is checked with `SO_PEERCRED`: only this process's user and
/// root are answered; anyone else gets a `permissionDenied` response and the connection closes.
///
/// The socket is one of the upgrader's named descriptors, so successors inherit it: during an
/// upgrade both processes accept on it, and after it the successor alone. Each connection
/// carries one request frame and one response frame (``ControlRequest``,
/// ``ControlResponse``) in the package's framing.
public final class ControlServer: ManagedService {
    public let name: String
    /// The configuration in force.
    public let configuration: ControlConfiguration
    private let upgrader: Upgrader
    private let listener: CInt
    private let stop = StopSignal()

    /// Makes the socket's directory if needed, and binds (or inherits) the socket.
    /// - Parameters:
    ///   - configuration: Where to listen.
    ///   - upgrader: The process's upgrader: what `status` reports and `upgrade` drives.
    ///   - name: The service's name (default `control`).
    /// - Throws: ``HandoffError``: ``HandoffError/Code/permissionDenied`` if the directory is
    ///   not private to this user; a system call's failure (a live process already listens
    ///   there: `EADDRINUSE`).
    public init(configuration: ControlConfiguration, upgrader: Upgrader, name: String = "control") throws {
        self.name = name
        self.configuration = configuration
        self.upgrader = upgrader
        let path = configuration.socketPath
        guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/") else {
            throw HandoffError(.invalidArgument, "the control socket path \(path.debugDescription) is not absolute")
        }
        try ControlServer.preparePrivateDirectory(slash == path.startIndex ? "/" : String(path[..<slash]))
        listener = try upgrader.descriptors.listener(try SocketEndpoint(parsing: "unix:" + path), name: configuration.descriptorName, backlog: 64)
        try Syscall.changeMode(path, 0o600)
        try Syscall.setNonBlocking(listener)
    }

    /// Answers requests until stopped; then stops accepting and finishes the requests in hand.
    /// - Throws: ``HandoffError`` if the process's reactor cannot watch the socket.
    public func run() async throws {
        let (connections, continuation) = AsyncStream<CInt>.makeStream()
        let listener = self.listener
        let upgrader = self.upgrader
        // Accepted on the process's reactor thread, served in this service's tasks.
        let watch = try Reactor.shared().watch(listener) { _ in
            // Replaced: leave every new connection to the successor, which accepts on the same
            // socket.
            if upgrader.isReplaced {
                continuation.finish()
                return .remove
            }
            // Until EAGAIN (the other process took it, or none left) or a failure, which the
            // next readiness retries.
            while let fd = try? Syscall.accept(listener, nonBlocking: false) {
                continuation.yield(fd)
            }
            return .keep
        }
        await withDiscardingTaskGroup { group in
            group.addTask { [stop] in
                try? await stop.wait()
                // No accept runs after this: the stream ends once the reactor is done with it.
                watch.cancel { continuation.finish() }
            }
            for await fd in connections {
                group.addTask { await self.serve(fd) }
            }
        }
        // Stopped accepting because the process was replaced: return when asked to stop.
        try? await stop.wait()
    }

    /// Stops accepting; the requests in hand are answered. Idempotent.
    public func requestStop() async { stop.trigger() }

    /// One connection: check the peer, read one request, answer it, close.
    private func serve(_ fd: CInt) async {
        let channel: ControlChannel
        do {
            channel = try ControlChannel(fd: fd, peerName: "control client", expectedPeer: nil, acceptsDescriptors: false, maxPayloadLength: configuration.maxRequestSize)
        } catch {
            Syscall.close(fd)
            return
        }
        defer { channel.shutdown() }
        let response: ControlResponse
        do {
            try ControlServer.admit(channel.fd)
        } catch {
            // Answer the refusal, then wait for the client's request (or its close), so the
            // client is not reset mid-write before it reads why.
            try? await channel.send(ControlWire.frame(ControlResponse(failure: error)), until: .now + configuration.requestTimeout)
            _ = try? await channel.receive(until: .now + configuration.requestTimeout)
            return
        }
        do {
            guard let received = try await channel.receive(until: .now + configuration.requestTimeout) else { return }
            let request = try ControlWire.decode(ControlRequest.self, from: received.frame, expecting: .controlRequest)
            response = await answer(request)
        } catch {
            response = ControlResponse(failure: error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)"))
        }
        try? await channel.send(ControlWire.frame(response), until: .now + configuration.requestTimeout)
    }

    private func answer(_ request: ControlRequest) async -> ControlResponse {
        switch request.command {
        case .status:
            return ControlResponse(status: ControlStatus(upgrader: upgrader, runner: RunnerContext.current?.runner))
        case .upgrade:
            do {
                return ControlResponse(pid: try await upgrader.upgrade())
            } catch {
                return ControlResponse(failure: error as? HandoffError ?? HandoffError(.childExited, "\(error)"))
            }
        }
    }

    /// Admits a peer of this process's user or root (`SO_PEERCRED`).
    /// - Throws: ``HandoffError/Code/permissionDenied`` for anyone else.
    static func admit(_ fd: CInt) throws(HandoffError) {
        let (pid, uid) = try Syscall.peerCredentials(fd)
        let own = Syscall.effectiveUserID
        guard uid == own || uid == 0 else {
            throw HandoffError(.permissionDenied, "the control socket answers uid \(own) and root; the client (pid \(pid)) runs as uid \(uid)")
        }
    }

    /// The control socket's directory: made private (0700), refused if anybody else can enter it.
    static func preparePrivateDirectory(_ path: String) throws(HandoffError) {
        do throws(HandoffError) {
            try PrivateDirectory.prepare(path)
        } catch {
            throw error.context("the control socket's directory")
        }
    }
}
