#if canImport(Glibc)
import Glibc
#endif
import Handoff
import NIOCore
import NIOPosix
import Synchronization

/// Whether the server stops for good; shared by its connections.
final class StopFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// What becomes of a connection when the server drains.
public enum HandoffDrainMode: Sendable, Hashable {
    /// Idle plaintext HTTP/1.1 connections go to the successor, with their unread bytes; the
    /// others get `Connection: close` on their next response, then are closed.
    case handOver
    /// Hummingbird's own graceful shutdown: NIO's quiesce event, which closes idle connections
    /// at once and others after their response (the baseline the integration script measures).
    case quiesce
}

/// The first handler of every connection's pipeline: taps the raw bytes for the request-boundary
/// tracker, and takes the connection out of NIO when a drain finds it idle.
///
/// Its state lives on the channel's event loop; the ``DrainableConnection`` calls hop there.
final class HandoffConnectionHandler: ChannelInboundHandler, DrainableConnection, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let registry: ConnectionRegistry
    private let mode: HandoffDrainMode
    private let stopping: StopFlag
    private let eventLoop: any EventLoop
    private var channel: (any Channel)?
    private var ticket: ConnectionRegistry.Ticket?
    private var tracker = HTTPBoundaryTracker()
    private var draining = false
    /// Whether the connection is no longer the registry's (detached or closed).
    private var reported = false
    /// Set on the response that carries `Connection: close`; closed after its end.
    private var closingAfterResponse = false

    init(registry: ConnectionRegistry, mode: HandoffDrainMode, stopping: StopFlag, eventLoop: any EventLoop) {
        self.registry = registry
        self.mode = mode
        self.stopping = stopping
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        ticket = registry.register(self)
        context.channel.closeFuture.assumeIsolated().whenComplete { _ in self.report(nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { tracker.receive($0) }
        context.fireChannelRead(data)
    }

    // MARK: From the response observer (same event loop)

    /// Whether the response about to be written must say `Connection: close`.
    func responseHeadWillBeWritten() -> Bool {
        guard draining, mode == .handOver, !stopping.isSet, !tracker.isHandOverable || closingAfterResponse else { return false }
        closingAfterResponse = true
        return true
    }

    /// The end of a response was written.
    func responseEndWritten() {
        tracker.responseCompleted()
        if let ticket { registry.setIdle(ticket, tracker.isIdle) }
        settle()
    }

    // MARK: DrainableConnection

    func beginDrain() {
        eventLoop.execute {
            self.draining = true
            if self.mode == .quiesce || self.stopping.isSet {
                self.channel?.pipeline.syncOperations.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            } else {
                self.settle()
            }
        }
    }

    func cancelDrain() {
        eventLoop.execute { self.draining = false }
    }

    func forceClose() {
        eventLoop.execute { self.channel?.close(promise: nil) }
    }

    // MARK: Leaving NIO

    /// Hands the connection over if it is draining and idle; closes it after a closing response.
    private func settle() {
        guard draining, mode == .handOver, !stopping.isSet, !reported, let channel else { return }
        // One that cannot go over and has nothing in flight waits: its next response says
        // `Connection: close`; a client that sends nothing is closed at the registry's deadline.
        if tracker.isIdle {
            detach(channel)
        } else if closingAfterResponse, tracker.responsesCompleted >= tracker.requestsStarted {
            channel.close(promise: nil)
        }
    }

    /// Takes the descriptor out of NIO in this tick: a duplicate for the successor, then NIO's
    /// close, which deregisters and closes its own descriptor without shutting the socket down.
    private func detach(_ channel: any Channel) {
        let duplicate: CInt?
        do {
            duplicate = try channel.pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { handle in
                let fd = fcntl(handle, F_DUPFD_CLOEXEC, 0)
                return fd >= 0 ? fd : nil
            } ?? nil
        } catch {
            duplicate = nil
        }
        guard let duplicate else {
            channel.close(promise: nil)
            return
        }
        report(HandoffConnection(descriptor: duplicate, unreadBytes: tracker.unreadBytes))
        channel.close(promise: nil)
    }

    private func report(_ handedOver: HandoffConnection?) {
        guard !reported, let ticket else { return }
        reported = true
        if let handedOver {
            registry.detached(ticket, as: handedOver)
        } else {
            registry.closed(ticket)
        }
    }
}
