#if canImport(Glibc)
import Glibc
#endif
import Handoff
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Hummingbird HTTP/1.1 server on an ``Upgrader``'s listeners that takes part in upgrades:
/// its idle connections go to the successor with their unread bytes, no client sees a reset.
///
/// Hummingbird 2 binds only to a host and port, so this runs the same pieces its `Server` does
/// — NIO's `ServerBootstrap` and `HTTP1Channel` — on a duplicate of each listener
/// (``SharedListener``). As a swift-service-lifecycle `Service` it runs in the application's
/// `ServiceGroup`; as an ``UpgradeParticipant`` it is what ``Upgrader/run(participant:)`` drains:
///
/// ```swift
/// let server = HandoffHTTPServer(listeners: listeners, responder: HandoffHTTPServer.responder(router.buildResponder()))
/// let group = ServiceGroup(configuration: .init(services: [
///     .init(service: server),
///     .init(service: UpgraderRunner(upgrader: upgrader, server: server), successTerminationBehavior: .gracefullyShutdownGroup),
/// ], logger: logger))
/// try await group.run()
/// ```
public final class HandoffHTTPServer: Service, UpgradeParticipant {
    private enum Command: Sendable {
        case accept
        case serve([HandoffConnection])
    }

    private let listeners: [SharedListener]
    private let http1: HTTP1Channel
    private let group: MultiThreadedEventLoopGroup
    private let mode: HandoffDrainMode
    private let drainDeadline: Duration
    private let logger: Logger
    private let registry = ConnectionRegistry()
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation
    /// The server channels accepting now.
    private let accepting = Mutex<[any Channel]>([])
    private let listening = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// Set once the server stops for good: a drain then closes connections instead.
    private let stopping = StopFlag()

    /// Creates the server; ``run()`` starts it.
    /// - Parameters:
    ///   - listeners: The upgrader's listening sockets.
    ///   - responder: Answers a request (see ``responder(_:)`` to wrap a router's).
    ///   - mode: What a drain does with connections.
    ///   - drainDeadline: How long a drain waits for connections that cannot be handed over.
    ///   - eventLoopGroup: The loops connections run on.
    ///   - logger: Where connection errors go.
    public init(
        listeners: [SharedListener],
        responder: @escaping HTTPChannelHandler.Responder,
        mode: HandoffDrainMode = .handOver,
        drainDeadline: Duration = .seconds(10),
        eventLoopGroup: MultiThreadedEventLoopGroup = .singleton,
        logger: Logger = Logger(label: "HandoffHTTPServer")
    ) {
        self.listeners = listeners
        self.mode = mode
        self.drainDeadline = drainDeadline
        self.group = eventLoopGroup
        self.logger = logger
        let observed = HTTP1Channel.Configuration(additionalChannelHandlers: [ResponseEndObserver()])
        self.http1 = HTTP1Channel(responder: responder, configuration: observed)
        (commands, commandSink) = AsyncStream.makeStream()
        commandSink.yield(.accept)
    }

    /// Serves until a graceful shutdown: accepts on the listeners, serves what ``adopt(_:)`` and
    /// ``resume(_:)`` hand in. A graceful shutdown stops accepting and closes every connection
    /// after its response in flight (Hummingbird's quiesce), within the drain deadline.
    public func run() async throws {
        await withDiscardingTaskGroup { tasks in
            tasks.addTask {
                // Returns on the group's graceful shutdown, throws if cancelled: stop either way.
                try? await gracefulShutdown()
                await self.stop()
            }
            for await command in commands {
                switch command {
                case .accept:
                    for listener in listeners {
                        do {
                            let server = try await bind(listener)
                            tasks.addTask { await self.accept(on: server) }
                        } catch {
                            logger.error("cannot accept on descriptor \(listener.descriptor): \(error)")
                        }
                    }
                    markListening()
                case .serve(let connections):
                    for connection in connections {
                        tasks.addTask { await self.serve(connection) }
                    }
                }
            }
        }
    }

    private func stop() async {
        stopping.set()
        commandSink.finish()
        try? await closeServerChannels().get()
        for connection in registry.resume() { close(connection.descriptor) }
        for connection in await registry.drain(deadline: drainDeadline) { close(connection.descriptor) }
    }

    /// Returns once the server accepts on every listener.
    public func waitUntilListening() async {
        await withCheckedContinuation { continuation in
            let done = listening.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    // MARK: UpgradeParticipant

    /// Stops accepting and drains every connection (see ``HandoffDrainMode``).
    /// - Returns: The idle connections, for the successor.
    public func drain() async throws -> [HandoffConnection] {
        try await closeServerChannels().get()
        return await registry.drain(deadline: drainDeadline)
    }

    /// Accepts again and serves the connections handed back, after a failed upgrade.
    public func resume(_ connections: [HandoffConnection]) async {
        let leftovers = registry.resume()
        commandSink.yield(.accept)
        commandSink.yield(.serve(connections + leftovers))
    }

    /// Serves the connections the predecessor handed over, each at once.
    public func adopt(_ connections: [HandoffConnection]) async {
        commandSink.yield(.serve(connections))
    }

    // MARK: Accepting

    private func bind(_ listener: SharedListener) async throws -> NIOAsyncChannel<HTTP1Channel.Value, Never> {
        let lent = try listener.lend()
        do {
            let server = try await ServerBootstrap(group: group)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(lent) { channel in self.setUp(channel, replaying: []) }
            try listener.restoreBacklog()
            accepting.withLock { $0.append(server.channel) }
            return server
        } catch {
            close(lent)
            throw error
        }
    }

    private func accept(on server: NIOAsyncChannel<HTTP1Channel.Value, Never>) async {
        await withDiscardingTaskGroup { connections in
            do {
                try await server.executeThenClose { inbound in
                    for try await child in inbound {
                        connections.addTask { await self.http1.handle(value: child, logger: self.logger) }
                    }
                }
            } catch {
                logger.debug("accepting ended: \(error)")
            }
        }
    }

    @discardableResult
    private func closeServerChannels() -> EventLoopFuture<Void> {
        let channels = accepting.withLock { channels in
            defer { channels = [] }
            return channels
        }
        let closed = channels.map { channel in channel.close().recover { _ in } }
        return EventLoopFuture.andAllSucceed(closed, on: group.any())
    }

    // MARK: Connections

    /// The pipeline of every connection: the tap first, then Hummingbird's HTTP/1.1 channel.
    private func setUp(_ channel: any Channel, replaying bytes: [UInt8]) -> EventLoopFuture<HTTP1Channel.Value> {
        let handler = HandoffConnectionHandler(registry: registry, mode: mode, stopping: stopping, eventLoop: channel.eventLoop)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(handler)
        }.flatMap {
            self.http1.setup(channel: channel, logger: self.logger)
        }.flatMapThrowing { value in
            if !bytes.isEmpty {
                // Before the first read from the socket: the stream goes on where the
                // predecessor stopped, through the tap and the decoder like any read.
                channel.pipeline.syncOperations.fireChannelRead(NIOAny(channel.allocator.buffer(bytes: bytes)))
            }
            return value
        }
    }

    /// Serves a connection handed over by the predecessor, or back after a failed upgrade.
    private func serve(_ connection: HandoffConnection) async {
        do {
            let value = try await ClientBootstrap(group: group)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .withConnectedSocket(connection.descriptor) { channel in
                    self.setUp(channel, replaying: connection.unreadBytes)
                }
            await http1.handle(value: value, logger: logger)
        } catch {
            logger.error("cannot serve a handed-over connection: \(error)")
            close(connection.descriptor)
        }
    }

    private func markListening() {
        let waiters = listening.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
