import CHandoff
import Handoff
import HandoffServices
import HandoffSystem

// Deadlines, registration, detaching and closing of the engine's connections.
extension HTTPServerHandler {
    func checkTimers() {
        let now = ContinuousClock.now
        if let retry = acceptPausedUntil, now >= retry { resumeAccepting() }
        guard now >= nextTimerCheck else { return }
        nextTimerCheck = now + configuration.tick
        if mode == .stopping, let deadline = stopDeadline, now >= deadline {
            for case let connection? in connections { close(connection) }
            finishIfIdle()
            return
        }
        guard mode == .serving && answering else { return }
        for case let connection? in connections {
            guard let deadline = connection.deadline, now >= deadline else { continue }
            if !connection.inbound.isEmpty && !connection.hasPendingOutput && !connection.closing {
                // A request begun and not finished in time: tell the client why, then close.
                counters.add(\.requestTimeouts)
                HTTPResponseWriter.appendError(.requestTimeout, into: &connection.outbound)
                connection.inbound.removeAll()
                connection.closing = true
                settle(connection)
            } else {
                if connection.inbound.isEmpty { counters.add(\.idleTimeouts) }
                close(connection)
                finishIfIdle()
            }
        }
    }

    /// Sets the connection's deadline after a read or an accept: idle between requests, the
    /// header timeout from a request's first byte, the body timeout from the end of its header.
    /// - Parameter began: Whether a new request began with these bytes.
    func armDeadline(_ connection: HTTPConnection, began: Bool = true) {
        let now = ContinuousClock.now
        if connection.inbound.isEmpty {
            connection.receivingBody = false
            connection.deadline = now + configuration.idleTimeout
            return
        }
        if began || connection.deadline == nil {
            connection.receivingBody = false
            connection.deadline = now + configuration.headerTimeout
        }
        if !connection.receivingBody && Self.containsHeaderEnd(connection.inbound) {
            connection.receivingBody = true
            connection.deadline = now + configuration.bodyTimeout
        }
    }

    /// Whether `bytes` hold a blank line (`LF CR LF` or `LF LF`): the header has arrived.
    static func containsHeaderEnd(_ bytes: [UInt8]) -> Bool {
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        var index = 0
        while let found = bytes[index...].firstIndex(of: lf) {
            let next = found + 1
            if next < bytes.count && bytes[next] == lf { return true }
            if next + 1 < bytes.count && bytes[next] == cr && bytes[next + 1] == lf { return true }
            index = next
            if index >= bytes.count { return false }
        }
        return false
    }

    /// Takes `handed` into the loop and answers the complete requests they already carry.
    func serve(_ handed: [HandoffConnection]) {
        for handoff in handed {
            // Non-blocking already if it came from a server like this one; make sure.
            try? Syscall.setNonBlocking(handoff.descriptor)
            guard let connection = register(handoff.descriptor, unreadBytes: handoff.unreadBytes) else { continue }
            if mode == .serving && answering && !connection.inbound.isEmpty {
                handleBufferedRequests(on: connection)
            }
            armDeadline(connection)
            settle(connection)
        }
    }

    /// The connections detached after the drain's waiter was resumed, which nobody holds.
    func takeLeftovers() -> [HandoffConnection] {
        guard drainWaiter == nil else { return [] }
        defer { detached = [] }
        return detached
    }

    func register(_ descriptor: CInt, unreadBytes: [UInt8]) -> HTTPConnection? {
        // Held connections wait for no event (only hang-ups and errors wake them).
        let interest = answering ? EPOLLIN.rawValue : 0
        do {
            try epoll.add(descriptor, events: interest)
        } catch {
            Syscall.close(descriptor)
            return nil
        }
        let connection = HTTPConnection(descriptor: descriptor, interest: interest)
        connection.inbound = unreadBytes
        let index = Int(descriptor)
        if index >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(index + 1 - connections.count, 64)))
        }
        connections[index] = connection
        connectionCount += 1
        return connection
    }

    func setInterest(_ events: UInt32, for connection: HTTPConnection) {
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
    func detach(_ connection: HTTPConnection) {
        forget(connection)
        detached.append(HandoffConnection(descriptor: connection.descriptor, unreadBytes: connection.inbound))
    }

    func close(_ connection: HTTPConnection) {
        guard forget(connection) else { return }
        if !connection.peerClosed { connection.discardPendingInput(scratch: readBuffer) }
        Syscall.close(connection.descriptor)
        // A descriptor and a connection slot are free again: accept what waits.
        if acceptPausedUntil != nil || (!listenersRegistered && mode == .serving) { resumeAccepting() }
    }

    @discardableResult
    private func forget(_ connection: HTTPConnection) -> Bool {
        guard connections[Int(connection.descriptor)] === connection else { return false }
        // Explicitly: a copy of the descriptor elsewhere would keep the registration alive.
        try? epoll.remove(connection.descriptor)
        connections[Int(connection.descriptor)] = nil
        connectionCount -= 1
        return true
    }

    /// Takes the listeners out of epoll until `retry` or until a connection closes.
    func pauseAccepting(until retry: ContinuousClock.Instant?) {
        unregisterListeners()
        acceptPausedUntil = retry
    }

    func resumeAccepting() {
        acceptPausedUntil = nil
        if mode == .serving { registerListeners() }
    }

    func registerListeners() {
        guard !listenersRegistered else { return }
        for listener in listeners { try? epoll.add(listener, events: EPOLLIN.rawValue) }
        listenersRegistered = true
    }

    func unregisterListeners() {
        guard listenersRegistered else { return }
        for listener in listeners { try? epoll.remove(listener) }
        listenersRegistered = false
    }
}
