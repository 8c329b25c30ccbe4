import CHandoff
#if canImport(Glibc)
import Glibc
#endif
import Handoff
import HandoffServices
import HandoffSystem

/// The admin endpoint on its epoll thread: accepts, reads, answers every complete request in
/// order (pipelining), and enforces the read timeouts.
///
/// A connection waiting for its next request is closed after
/// ``AdminConfiguration/idleTimeout``; one whose request has begun but not arrived in full
/// within ``AdminConfiguration/requestTimeout`` of its first byte gets 408 and is closed, so a
/// client sending a byte a second cannot hold a connection. Malformed requests get 400 (or
/// 431 for header fields over 64 KiB) and the connection is closed. Timers are checked on a
/// coarse tick, at most every 100 ms.
final class AdminHandler: EpollThreadHandler {
    typealias Command = AdminCommand

    private let epoll: EpollSet
    private let listener: CInt
    private let routes: AdminRoutes
    private let configuration: AdminConfiguration
    private var connections: [HTTPConnection?] = []
    private var connectionCount = 0
    private var stopping = false
    private var stopWaiter: CheckedContinuation<Void, Never>?
    private var stopDeadline: ContinuousClock.Instant?
    private var nextTimerCheck = ContinuousClock.now
    private let tick: Duration
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private(set) var isFinished = false

    /// How long a stop waits for slow readers of the last responses.
    private static let stopGracePeriod = Duration.seconds(2)

    init(epoll: EpollSet, listener: CInt, routes: AdminRoutes, configuration: AdminConfiguration) {
        self.epoll = epoll
        self.listener = listener
        self.routes = routes
        self.configuration = configuration
        let shortest = min(configuration.requestTimeout, configuration.idleTimeout)
        tick = max(.milliseconds(5), min(.milliseconds(100), shortest / 4))
    }

    deinit { readBuffer.deallocate() }

    var timeoutMilliseconds: CInt {
        connectionCount == 0 && !stopping ? -1 : CInt(AdminConfiguration.milliseconds(tick))
    }

    func checkTimers() {
        let now = ContinuousClock.now
        guard now >= nextTimerCheck else { return }
        nextTimerCheck = now + tick
        if stopping, let deadline = stopDeadline, now >= deadline {
            for case let connection? in connections { close(connection) }
            finishIfIdle()
            return
        }
        for case let connection? in connections {
            guard let deadline = connection.deadline, now >= deadline else { continue }
            if !connection.inbound.isEmpty && !connection.hasPendingOutput {
                // A request begun and not finished in time: tell the client why, then close.
                appendError(.requestTimeout, to: connection)
                connection.inbound.removeAll()
                connection.closing = true
                settle(connection)
            } else {
                close(connection)
            }
        }
        finishIfIdle()
    }

    func handle(events: UInt32, on descriptor: CInt) {
        if descriptor == listener {
            acceptAll()
            return
        }
        guard Int(descriptor) < connections.count, let connection = connections[Int(descriptor)] else { return }
        let readable = EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
        if events & readable != 0 && !connection.hasPendingOutput && !connection.closing {
            read(connection)
        }
        settle(connection)
    }

    func handle(_ command: AdminCommand) {
        switch command {
        case .stop(let waiter):
            stopWaiter = waiter
            guard !stopping else { return }
            stopping = true
            stopDeadline = ContinuousClock.now + Self.stopGracePeriod
            try? epoll.remove(listener)
            for case let connection? in connections {
                // Answer what has fully arrived; close the rest once written.
                if !connection.hasPendingOutput { read(connection) }
                connection.closing = true
                settle(connection)
            }
            finishIfIdle()
        }
    }

    // MARK: Connections

    private func acceptAll() {
        while !stopping {
            let descriptor = chandoff_accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if descriptor < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // EAGAIN, or out of descriptors: the next wake-up tries again
            }
            if connectionCount >= configuration.maxConnections {
                Syscall.close(descriptor)
                continue
            }
            var on: CInt = 1
            // Only a latency hint: a failure changes nothing the endpoint relies on.
            _ = setsockopt(descriptor, CInt(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<CInt>.size))
            do {
                try epoll.add(descriptor, events: EPOLLIN.rawValue)
            } catch {
                Syscall.close(descriptor)
                continue
            }
            let connection = HTTPConnection(descriptor: descriptor, interest: EPOLLIN.rawValue)
            connection.deadline = ContinuousClock.now + configuration.idleTimeout
            let index = Int(descriptor)
            if index >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: max(index + 1 - connections.count, 64)))
            }
            connections[index] = connection
            connectionCount += 1
        }
    }

    /// Reads once and answers every complete request.
    private func read(_ connection: HTTPConnection) {
        let count = Glibc.read(connection.descriptor, readBuffer.baseAddress, readBuffer.count)
        if count > 0 {
            let wasEmpty = connection.inbound.isEmpty
            connection.inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            let consumed = connection.inbound.withUnsafeBytes { answer($0, on: connection) }
            if connection.closing {
                connection.inbound.removeAll()
            } else if consumed > 0 {
                connection.inbound.removeFirst(consumed)
            }
            if connection.inbound.isEmpty {
                connection.deadline = ContinuousClock.now + configuration.idleTimeout
            } else if wasEmpty || consumed > 0 {
                connection.deadline = ContinuousClock.now + configuration.requestTimeout  // a request began
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

    /// Appends the answers to the complete requests at the start of `bytes`; returns how many
    /// bytes they took.
    private func answer(_ bytes: UnsafeRawBufferPointer, on connection: HTTPConnection) -> Int {
        var offset = 0
        while !connection.closing && offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch HTTPRequestParser.parse(rest) {
            case .incomplete:
                return offset
            case .request(let head, let length):
                respond(to: head, path: String(decoding: rest[head.path], as: UTF8.self), on: connection)
                offset += length
                if !head.keepAlive || stopping { connection.closing = true }
            case .invalid(let status):
                appendError(status, to: connection)
                connection.closing = true
                return bytes.count
            }
        }
        return offset
    }

    private func respond(to head: HTTPRequestHead, path: String, on connection: HTTPConnection) {
        guard let answer = routes.answer(path: path) else {
            appendResponse(.notFound, contentType: "text/plain; charset=utf-8", body: "not found\n", head: head, to: connection)
            return
        }
        guard head.method == .get || head.method == .head else {
            appendResponse(.methodNotAllowed, contentType: "text/plain; charset=utf-8", body: "method not allowed\n", head: head, extra: "Allow: GET, HEAD\r\n", to: connection)
            return
        }
        appendResponse(answer.status, contentType: answer.contentType, body: answer.body, head: head, to: connection)
    }

    private func appendResponse(_ status: HTTPStatus, contentType: String, body: String, head: HTTPRequestHead, extra: String = "", to connection: HTTPConnection) {
        let keepAlive = head.keepAlive && !stopping
        var text = "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
        if !keepAlive {
            text += "Connection: close\r\n"
        } else if !head.isHTTP11 {
            text += "Connection: keep-alive\r\n"
        }
        text += extra + "\r\n"
        status.statusLine.withUTF8Buffer { connection.outbound.append(contentsOf: $0) }
        connection.outbound.append(contentsOf: text.utf8)
        if head.method != .head { connection.outbound.append(contentsOf: body.utf8) }
    }

    private func appendError(_ status: HTTPStatus, to connection: HTTPConnection) {
        status.statusLine.withUTF8Buffer { connection.outbound.append(contentsOf: $0) }
        let body = status.errorBody
        connection.outbound.append(contentsOf: "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8CodeUnitCount)\r\nConnection: close\r\n\r\n".utf8)
        body.withUTF8Buffer { connection.outbound.append(contentsOf: $0) }
    }

    /// Writes pending output, then decides what the connection waits for next.
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
        if connection.closing {
            close(connection)
            finishIfIdle()
        } else {
            setInterest(EPOLLIN.rawValue, for: connection)
        }
    }

    private func setInterest(_ events: UInt32, for connection: HTTPConnection) {
        guard connection.interest != events else { return }
        do {
            try epoll.modify(connection.descriptor, events: events)
            connection.interest = events
        } catch {
            close(connection)
        }
    }

    private func close(_ connection: HTTPConnection) {
        guard connections[Int(connection.descriptor)] === connection else { return }
        try? epoll.remove(connection.descriptor)
        connections[Int(connection.descriptor)] = nil
        connectionCount -= 1
        if !connection.peerClosed { connection.discardPendingInput(scratch: readBuffer) }
        Syscall.close(connection.descriptor)
    }

    private func finishIfIdle() {
        guard stopping, connectionCount == 0 else { return }
        isFinished = true
        stopWaiter?.resume()
        stopWaiter = nil
    }
}
