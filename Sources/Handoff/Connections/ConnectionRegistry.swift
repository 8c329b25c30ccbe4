import Synchronization
import HandoffSystem

/// A live client connection as a framework adapter holds it: what a ``ConnectionRegistry``
/// asks of it during an upgrade.
///
/// Each call comes from whatever task drains or resumes; hop to the connection's own thread
/// (its event loop) before touching it. Report back with ``ConnectionRegistry/detached(_:as:)``
/// or ``ConnectionRegistry/closed(_:)``.
public protocol DrainableConnection: AnyObject, Sendable {
    /// Hands the connection over at its next request boundary (at once if idle), or, if it
    /// cannot be handed over, answers its next request with `Connection: close` and closes it.
    func beginDrain()
    /// Serves on as before: the upgrade failed.
    func cancelDrain()
    /// Closes the connection now: the drain's deadline passed.
    func forceClose()
}

/// The live connections of a server, and the drain that hands the idle ones to a successor.
///
/// A framework adapter registers every connection it accepts or adopts and reports how each
/// ends: ``detached(_:as:)`` (its descriptor and unread bytes, for the successor) or
/// ``closed(_:)``. Its ``UpgradeParticipant`` then is:
///
/// ```swift
/// func drain() async throws -> [HandoffConnection] {
///     try await stopAccepting()
///     return await registry.drain(deadline: .seconds(10))
/// }
/// func resume(_ connections: [HandoffConnection]) async {
///     startAccepting(); serve(connections + registry.resume())
/// }
/// func adopt(_ connections: [HandoffConnection]) async { serve(connections) }
/// ```
public final class ConnectionRegistry: Sendable {
    /// Names one registered connection.
    public struct Ticket: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    /// How many connections there are, by state.
    public struct Counts: Sendable, Hashable {
        /// Registered and not yet detached or closed.
        public var live = 0
        /// Of ``live``, those that said they are at a request boundary (``setIdle(_:_:)``).
        public var idle = 0
        /// Detached during the current or last drain.
        public var detached = 0
    }

    private struct Entry {
        let connection: any DrainableConnection
        var idle = false
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var draining = false
        var detached: [HandoffConnection] = []
        var emptied: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Creates an empty registry, serving.
    public init() {}

    /// Whether a drain is on (from ``drain(deadline:)`` until ``resume()``).
    public var isDraining: Bool { state.withLock { $0.draining } }

    /// The counts now.
    public var counts: Counts {
        state.withLock { state in
            Counts(live: state.entries.count, idle: state.entries.values.count { $0.idle }, detached: state.detached.count)
        }
    }

    /// Registers a connection just accepted or adopted. During a drain it is told
    /// ``DrainableConnection/beginDrain()`` at once.
    /// - Parameter connection: The connection.
    /// - Returns: Its ticket, for the reports.
    public func register(_ connection: any DrainableConnection) -> Ticket {
        let (ticket, draining) = state.withLock { state in
            state.nextID += 1
            state.entries[state.nextID] = Entry(connection: connection)
            return (Ticket(id: state.nextID), state.draining)
        }
        if draining { connection.beginDrain() }
        return ticket
    }

    /// Records whether the connection is at a request boundary with nothing in flight.
    public func setIdle(_ ticket: Ticket, _ idle: Bool) {
        state.withLock { $0.entries[ticket.id]?.idle = idle }
    }

    /// Records that the connection left the server to be handed over.
    /// - Parameters:
    ///   - ticket: The connection's ticket.
    ///   - connection: Its descriptor (now owned by the registry until taken) and unread bytes.
    public func detached(_ ticket: Ticket, as connection: HandoffConnection) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries[ticket.id] = nil
            state.detached.append(connection)
            return Self.takeWaitersIfEmpty(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Records that the connection was closed.
    public func closed(_ ticket: Ticket) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries[ticket.id] = nil
            return Self.takeWaitersIfEmpty(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Drains every connection: each is handed over at its next boundary or closed after its
    /// next response; those left at `deadline` are closed.
    ///
    /// Call it once the server no longer accepts. Returns promptly when the task is cancelled
    /// (the upgrade's timeout): with what was detached by then.
    /// - Parameter deadline: How long connections that cannot be handed over get to finish.
    /// - Returns: The connections detached, for the successor. Their descriptors are the
    ///   caller's from now on.
    public func drain(deadline: Duration) async -> [HandoffConnection] {
        let connections = state.withLock { state in
            state.draining = true
            return state.entries.values.map(\.connection)
        }
        for connection in connections { connection.beginDrain() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilEmpty() }
            group.addTask {
                try? await Task.sleep(for: deadline)
                if Task.isCancelled { return }
                for connection in self.state.withLock({ $0.entries.values.map(\.connection) }) {
                    connection.forceClose()
                }
            }
            await group.next()
            group.cancelAll()
        }
        return state.withLock { state in
            defer { state.detached = [] }
            return state.detached
        }
    }

    /// Ends the drain: the live connections serve on (``DrainableConnection/cancelDrain()``).
    /// - Returns: Connections detached after ``drain(deadline:)`` returned, which nobody else
    ///   holds: serve them again.
    public func resume() -> [HandoffConnection] {
        let (connections, leftovers) = state.withLock { state in
            state.draining = false
            defer { state.detached = [] }
            return (state.entries.values.map(\.connection), state.detached)
        }
        for connection in connections { connection.cancelDrain() }
        return leftovers
    }

    /// Waits until no connection is live, or the task is cancelled.
    private func waitUntilEmpty() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if state.entries.isEmpty || Task.isCancelled { return true }
                    state.emptied.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            for waiter in state.withLock({ state in
                defer { state.emptied = [] }
                return state.emptied
            }) {
                waiter.resume()
            }
        }
    }

    private static func takeWaitersIfEmpty(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.entries.isEmpty else { return [] }
        defer { state.emptied = [] }
        return state.emptied
    }
}
