import CHandoff
import Handoff
import HandoffServices
import HandoffSystem

/// The HTTP/1.1 engine's state on its loop thread: listeners, connections, deadlines, and the
/// drain/resume/adopt/stop steps of an upgrade.
///
/// Reads are answered as they arrive: every complete request in the buffer is handled in order
/// (pipelining), the responses written with one `send(2)`. A connection with unsent output waits
/// for `EPOLLOUT` and reads nothing more until it is flushed, so output stays bounded. Until
/// answering starts (``HTTPServerConfiguration/answersAtOnce``) connections are accepted and
/// adopted but not read.
///
/// Accepting never spins: out of descriptors (`EMFILE`, `ENFILE`) or memory, or at the
/// connection cap, the listeners leave the epoll set until a connection of this server closes
/// or, for the first case, the retry interval passes. Draining never closes a connection a client
/// may still send on: once its output is written it is removed from epoll and detached, with its
/// unhandled bytes, for the successor.
final class HTTPServerHandler: EpollThreadHandler {
    typealias Command = HTTPServerCommand

    /// Named for errors without reflection: printing an enum through `Mirror` costs a replaced
    /// process about half a millisecond of first-use metadata, on the way to its exit.
    enum Mode: String, CustomStringConvertible {
        case serving
        /// Listeners are out of epoll; connections are detached as they go idle.
        case draining
        /// Listeners are out of epoll; connections are closed as they go idle.
        case stopping
        case stopped

        var description: String { rawValue }
    }

    let epoll: EpollSet
    let listeners: [CInt]
    let routes: any HTTPRoutes
    let configuration: HTTPServerConfiguration
    var listenersRegistered = true
    var mode = Mode.serving
    /// Why the server is draining, or drained; meaningful in ``Mode/draining``.
    var drainPurpose = HTTPServer.DrainPurpose.upgrade
    var answering: Bool
    /// Connections indexed by descriptor.
    var connections: [HTTPConnection?] = []
    var connectionCount = 0
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var drainWaiter: CheckedContinuation<[HandoffConnection], any Error>?
    /// Detached since the drain began; after its waiter has them, those adopted while drained
    /// for a stop wait here for the resume or the stop.
    var detached: [HandoffConnection] = []
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var stopDeadline: ContinuousClock.Instant?
    /// Accepting is paused (out of descriptors, or at the cap) until then, or until a
    /// connection closes.
    var acceptPausedUntil: ContinuousClock.Instant?
    var nextTimerCheck = ContinuousClock.now
    let counters: HTTPServerCounters
    /// Whether the loop thread ends once the server has stopped.
    var endsLoopWhenStopped = false

    var isFinished: Bool { endsLoopWhenStopped && mode == .stopped }

    init(epoll: EpollSet, listeners: [CInt], routes: any HTTPRoutes, configuration: HTTPServerConfiguration, counters: HTTPServerCounters) {
        self.epoll = epoll
        self.listeners = listeners
        self.routes = routes
        self.configuration = configuration
        self.answering = configuration.answersAtOnce
        self.counters = counters
    }

    deinit { readBuffer.deallocate() }

    var timeoutMilliseconds: CInt {
        let timed = (connectionCount > 0 && answering && mode == .serving) || mode == .stopping || acceptPausedUntil != nil
        return timed ? CInt(HTTPServerConfiguration.milliseconds(configuration.tick)) : -1
    }

    // MARK: Events

    func handle(events: UInt32, on descriptor: CInt) {
        if listeners.contains(descriptor) {
            acceptAll(on: descriptor)
            return
        }
        guard Int(descriptor) < connections.count, let connection = connections[Int(descriptor)] else {
            return  // closed or detached earlier in the same batch of events
        }
        let readable = EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
        if events & readable != 0 && !connection.hasPendingOutput && mode == .serving {
            read(connection)
        }
        settle(connection)
    }

    private func acceptAll(on listener: CInt) {
        while mode == .serving {
            if connectionCount >= configuration.maxConnections {
                // At the cap: the backlog holds the rest until a connection closes.
                pauseAccepting(until: nil)
                counters.add(\.acceptsPaused)
                return
            }
            let descriptor: CInt
            do {
                // nil (EAGAIN): the queue is empty, or another process took it.
                guard let accepted = try Syscall.accept(listener) else { return }
                descriptor = accepted
            } catch where error.errno == .connectionAborted {
                continue
            } catch where [.tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace, .noMemory].contains(error.errno) {
                // Level-triggered: the listener would wake us again at once. Pause instead.
                pauseAccepting(until: ContinuousClock.now + configuration.acceptRetryInterval)
                counters.add(\.acceptsPaused)
                return
            } catch {
                return
            }
            // A latency hint; fails harmlessly on a Unix domain socket.
            try? Syscall.setSocketOption(descriptor, .noDelay, 1)
            if let connection = register(descriptor, unreadBytes: []) {
                counters.add(\.accepted)
                armDeadline(connection)
            }
        }
    }

    /// Reads once and answers every complete request.
    func read(_ connection: HTTPConnection) {
        let count: Int
        do {
            guard let read = try Syscall.readAvailable(connection.descriptor, into: readBuffer) else { return }
            count = read
        } catch {
            connection.peerClosed = true
            connection.closing = true
            connection.outbound.removeAll()
            return
        }
        if count > 0 {
            let received = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
            if !answering {
                // Only a hang-up or an error wakes a held connection: keep what came first.
                connection.inbound.append(contentsOf: received)
            } else if connection.inbound.isEmpty {
                let consumed = handleRequests(in: received, on: connection)
                if consumed < count && !connection.closing {
                    connection.inbound.append(contentsOf: received[consumed...])
                }
                armDeadline(connection, began: true)
            } else {
                connection.inbound.append(contentsOf: received)
                let before = connection.inbound.count
                handleBufferedRequests(on: connection)
                armDeadline(connection, began: connection.inbound.count < before)
            }
        } else {
            connection.peerClosed = true
            connection.closing = true
            connection.inbound.removeAll()
        }
    }

    func handleBufferedRequests(on connection: HTTPConnection) {
        let consumed = connection.inbound.withUnsafeBytes { handleRequests(in: $0, on: connection) }
        if connection.closing {
            connection.inbound.removeAll()
        } else if consumed > 0 {
            connection.inbound.removeFirst(consumed)
        }
    }

    /// Appends the responses to the complete requests at the start of `bytes`.
    /// - Returns: How many bytes were handled.
    private func handleRequests(in bytes: UnsafeRawBufferPointer, on connection: HTTPConnection) -> Int {
        var offset = 0
        while !connection.closing && offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch HTTPRequestParser.parse(rest) {
            case .incomplete:
                return offset
            case .request(var head, let length):
                if mode != .serving { head.keepAlive = false }
                routes.respond(to: head, in: rest, into: &connection.outbound)
                counters.add(\.requests)
                offset += length
                if !head.keepAlive { connection.closing = true }
            case .invalid(let status):
                HTTPResponseWriter.appendError(status, into: &connection.outbound)
                counters.add(\.rejected)
                connection.closing = true
                return bytes.count
            }
        }
        return offset
    }

    /// Writes pending output, then decides what the connection waits for next: more requests,
    /// its peer's reading, or nothing (closed or detached).
    func settle(_ connection: HTTPConnection) {
        if connection.hasPendingOutput {
            switch connection.flush() {
            case .failed:
                connection.peerClosed = true
                close(connection)
                finishIfIdle()
                return
            case .blocked:
                setInterest(EPOLLOUT.rawValue, for: connection)
                return
            case .flushed:
                break
            }
        }
        switch mode {
        case .serving where !connection.closing:
            setInterest(answering ? EPOLLIN.rawValue : 0, for: connection)
        case .draining where !connection.closing:
            detach(connection)
            finishIfIdle()
        default:
            close(connection)
            finishIfIdle()
        }
    }
}
