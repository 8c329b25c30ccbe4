#if canImport(Glibc)
import Glibc
#endif
import CHandoff
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The HTTP server's state on its event loop thread: listeners, connections, and the
/// drain/resume/adopt/stop steps of an upgrade.
///
/// Until ``ServerCommand/startAnswering(_:)`` (the state is restored) connections are accepted
/// and adopted but not read. Then reads are answered as they arrive: every complete request in
/// the buffer is handled in order (pipelining), the responses written with one `send(2)`. A
/// connection with unsent output waits for `EPOLLOUT` and reads nothing more until it is
/// flushed, so output stays bounded.
///
/// Draining never closes a connection a client may still send on: once its output is written
/// it is removed from epoll and detached, with its unhandled bytes, for the successor.
final class HTTPServer: EpollThreadHandler {
    typealias Command = ServerCommand

    /// Why a command could not be carried out.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    private enum Mode {
        case serving
        /// Listeners are out of epoll; connections are detached as they go idle.
        case draining
        /// Listeners are out of epoll; connections are closed as they go idle.
        case stopping
        case stopped
    }

    /// How long a graceful stop waits for slow readers before closing them anyway.
    private static let stopGracePeriod = Duration.seconds(10)
    /// How long accepting pauses when the process is out of descriptors or memory.
    private static let acceptPause = Duration.milliseconds(100)

    private let epoll: EpollSet
    private let listeners: [CInt]
    private var listenersRegistered = true
    private var mode = Mode.serving
    /// Why the server is draining, or drained; meaningful in ``Mode/draining``.
    private var drainPurpose = ServerCommand.DrainPurpose.upgrade
    /// Whether requests are answered yet.
    private var answering = false
    /// Connections indexed by descriptor.
    private var connections: [HTTPConnection?] = []
    private var connectionCount = 0
    private let responder: HTTPResponder
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: 64 * 1024, alignment: 16)

    private var drainWaiter: CheckedContinuation<[HandoffConnection], any Error>?
    /// Detached since the drain began; after its waiter has them, those adopted while drained
    /// for a stop wait here for the resume or the stop.
    private var detached: [HandoffConnection] = []
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var stopDeadline: ContinuousClock.Instant?
    private var acceptPausedUntil: ContinuousClock.Instant?

    /// - Parameters:
    ///   - epoll: The loop's epoll set, in which `listeners` are already registered for reading.
    ///   - listeners: Non-blocking listening sockets; the server never closes them.
    ///   - responder: The routes.
    init(epoll: EpollSet, listeners: [CInt], responder: HTTPResponder) {
        self.epoll = epoll
        self.listeners = listeners
        self.responder = responder
    }

    deinit { readBuffer.deallocate() }

    var timeoutMilliseconds: CInt {
        mode == .stopping || acceptPausedUntil != nil ? 100 : -1
    }

    func checkTimers() {
        let now = ContinuousClock.now
        if let until = acceptPausedUntil, now >= until {
            acceptPausedUntil = nil
            if mode == .serving { registerListeners() }
        }
        if mode == .stopping, let deadline = stopDeadline, now >= deadline {
            for case let connection? in connections { close(connection) }
            finishIfIdle()
        }
    }

    // MARK: Events

    func handle(events: UInt32, on descriptor: CInt) {
        if listeners.contains(descriptor) {
            acceptAll(on: descriptor)
            return
        }
        guard Int(descriptor) < connections.count, let connection = connections[Int(descriptor)]
        else {
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
            let descriptor = chandoff_accept4(
                listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if descriptor < 0 {
                switch errno {
                case EINTR, ECONNABORTED:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Level-triggered: the listener would wake us again at once. Pause instead.
                    unregisterListeners()
                    acceptPausedUntil = ContinuousClock.now.advanced(by: Self.acceptPause)
                    return
                default:
                    return  // EAGAIN: the queue is empty, or the other process took it
                }
            }
            var on: CInt = 1
            // Fails harmlessly on a Unix domain socket.
            _ = setsockopt(
                descriptor, CInt(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<CInt>.size))
            _ = register(descriptor, unreadBytes: [])
        }
    }

    /// Reads once and answers every complete request.
    private func read(_ connection: HTTPConnection) {
        let count = Glibc.read(connection.descriptor, readBuffer.baseAddress, readBuffer.count)
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
            } else {
                connection.inbound.append(contentsOf: received)
                handleBufferedRequests(on: connection)
            }
        } else if count == 0 {
            connection.peerClosed = true
            connection.closing = true
            connection.inbound.removeAll()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            connection.peerClosed = true
            connection.closing = true
            connection.outbound.removeAll()
        }
    }

    private func handleBufferedRequests(on connection: HTTPConnection) {
        let consumed = connection.inbound.withUnsafeBytes { handleRequests(in: $0, on: connection) }
        if connection.closing {
            connection.inbound.removeAll()
        } else if consumed > 0 {
            connection.inbound.removeFirst(consumed)
        }
    }

    /// Appends the responses to the complete requests at the start of `bytes`.
    /// - Returns: How many bytes were handled.
    private func handleRequests(
        in bytes: UnsafeRawBufferPointer, on connection: HTTPConnection
    ) -> Int {
        var offset = 0
        while !connection.closing && offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch HTTPRequestParser.parse(rest) {
            case .incomplete:
                return offset
            case .request(let head, let length):
                responder.respond(to: head, in: rest, into: &connection.outbound)
                offset += length
                if !head.keepAlive { connection.closing = true }
            case .invalid(let status):
                HTTPResponder.appendError(status, into: &connection.outbound)
                connection.closing = true
                return bytes.count
            }
        }
        return offset
    }

    /// Writes pending output, then decides what the connection waits for next: more requests,
    /// its peer's reading, or nothing (closed or detached).
    private func settle(_ connection: HTTPConnection) {
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

    // MARK: Commands

    func handle(_ command: ServerCommand) {
        switch command {
        case .drain(let purpose, let waiter):
            guard mode == .serving, drainWaiter == nil else {
                let purpose = mode == .draining ? " for \(drainPurpose)" : ""
                waiter.resume(throwing: Refusal(description: "the server is not serving (\(mode)\(purpose))"))
                return
            }
            mode = .draining
            drainPurpose = purpose
            drainWaiter = waiter
            unregisterListeners()
            for case let connection? in connections { settle(connection) }
            finishIfIdle()
        case .resume(let purpose, let handedBack, let waiter):
            // An upgrade refused by a drain for a stop resumes nothing: the stop goes on.
            if mode == .draining && drainWaiter == nil && drainPurpose == purpose {
                mode = .serving
                registerListeners()
                serve(handedBack + takeLeftovers())
            } else {
                serve(handedBack)
            }
            waiter.resume()
        case .adopt(let handedOver, let waiter):
            serve(handedOver)
            waiter.resume()
        case .startAnswering(let waiter):
            if !answering {
                answering = true
                for case let connection? in connections {
                    if mode == .serving && !connection.inbound.isEmpty && !connection.closing {
                        handleBufferedRequests(on: connection)
                    }
                    settle(connection)
                }
            }
            waiter.resume()
        case .stop(let closing, let waiter):
            stopWaiters.append(waiter)
            let leftovers = closing + takeLeftovers()
            guard mode != .stopped else {
                serve(leftovers)
                finishIfIdle()
                return
            }
            mode = .stopping
            stopDeadline = ContinuousClock.now.advanced(by: Self.stopGracePeriod)
            unregisterListeners()
            serve(leftovers)  // closed at once, unread: their requests were never begun
            for case let connection? in connections {
                // Requests that have already arrived are in flight: answer them before closing.
                if !connection.hasPendingOutput && !connection.closing { read(connection) }
                settle(connection)
            }
            finishIfIdle()
        }
    }

    /// The connections detached after the drain's waiter was resumed, which nobody holds.
    private func takeLeftovers() -> [HandoffConnection] {
        guard drainWaiter == nil else { return [] }
        defer { detached = [] }
        return detached
    }

    /// Takes `handed` into the loop and answers the complete requests they already carry.
    private func serve(_ handed: [HandoffConnection]) {
        for handoff in handed {
            // Non-blocking already if it came from a server like this one; make sure.
            let flags = fcntl(handoff.descriptor, F_GETFL)
            if flags >= 0 && flags & O_NONBLOCK == 0 {
                _ = fcntl(handoff.descriptor, F_SETFL, flags | O_NONBLOCK)
            }
            guard let connection = register(handoff.descriptor, unreadBytes: handoff.unreadBytes) else {
                continue
            }
            if mode == .serving && answering && !connection.inbound.isEmpty {
                handleBufferedRequests(on: connection)
            }
            settle(connection)
        }
    }

    /// Resumes whoever waits for the connections to be gone.
    private func finishIfIdle() {
        guard connectionCount == 0 else { return }
        switch mode {
        case .draining:
            if let waiter = drainWaiter {
                drainWaiter = nil
                let connections = detached
                detached = []
                waiter.resume(returning: connections)
            }
        case .stopping, .stopped:
            // The loop thread stays, idle: a late command still finds someone to answer it.
            mode = .stopped
            stopDeadline = nil
            if let waiter = drainWaiter {
                // A stop overtook a drain: hand over what was detached before the stop.
                drainWaiter = nil
                waiter.resume(returning: detached)
                detached = []
            }
            let waiters = stopWaiters
            stopWaiters = []
            for waiter in waiters { waiter.resume() }
        case .serving:
            break
        }
    }

    // MARK: Registration

    private func register(_ descriptor: CInt, unreadBytes: [UInt8]) -> HTTPConnection? {
        // Held connections wait for no event (only hang-ups and errors wake them).
        let interest = answering ? EPOLLIN.rawValue : 0
        do {
            try epoll.add(descriptor, events: interest)
        } catch {
            _ = Glibc.close(descriptor)
            return nil
        }
        let connection = HTTPConnection(descriptor: descriptor, interest: interest)
        connection.inbound = unreadBytes
        let index = Int(descriptor)
        if index >= connections.count {
            let growth = max(index + 1 - connections.count, 64)
            connections.append(contentsOf: repeatElement(nil, count: growth))
        }
        connections[index] = connection
        connectionCount += 1
        return connection
    }

    private func setInterest(_ events: UInt32, for connection: HTTPConnection) {
        guard connection.interest != events else { return }
        do {
            try epoll.modify(connection.descriptor, events: events)
            connection.interest = events
        } catch {
            close(connection)
            finishIfIdle()
        }
    }

    /// Forgets `connection` without closing it: it goes to the successor.
    private func detach(_ connection: HTTPConnection) {
        forget(connection)
        detached.append(HandoffConnection(descriptor: connection.descriptor, unreadBytes: connection.inbound))
    }

    private func close(_ connection: HTTPConnection) {
        forget(connection)
        if !connection.peerClosed { connection.discardPendingInput(scratch: readBuffer) }
        _ = Glibc.close(connection.descriptor)
    }

    private func forget(_ connection: HTTPConnection) {
        // Explicitly: a copy of the descriptor elsewhere would keep the registration alive.
        try? epoll.remove(connection.descriptor)
        connections[Int(connection.descriptor)] = nil
        connectionCount -= 1
    }

    private func registerListeners() {
        guard !listenersRegistered else { return }
        for listener in listeners { try? epoll.add(listener, events: EPOLLIN.rawValue) }
        listenersRegistered = true
    }

    private func unregisterListeners() {
        guard listenersRegistered else { return }
        for listener in listeners { try? epoll.remove(listener) }
        listenersRegistered = false
    }
}
