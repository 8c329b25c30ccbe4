import HandoffSystem
/// The part of an application that serves traffic and takes part in an upgrade.
///
/// The ``Upgrader`` calls ``drain()`` in the old process once its successor has said it is
/// ready and is accepting on the same listeners. If the upgrade then fails (the successor dies
/// or refuses the handover), ``resume(_:)`` gives the connections back and the old process
/// serves on. In the successor, ``adopt(_:)`` receives them once the old process has committed.
///
/// ```swift
/// final class Server: UpgradeParticipant {
///     func drain() async throws -> [HandoffConnection] {
///         stopAccepting()
///         await finishInFlightRequests()
///         return idleConnections.map { HandoffConnection(descriptor: $0.fd, unreadBytes: $0.buffered) }
///     }
///     func resume(_ connections: [HandoffConnection]) async { startAccepting(); serve(connections) }
///     func adopt(_ connections: [HandoffConnection]) async { serve(connections) }
/// }
/// ```
public protocol UpgradeParticipant: Sendable {
    /// Stops accepting new work and finishes what is in flight.
    ///
    /// Keep the listeners open: the successor accepts on the same sockets, and a failed upgrade
    /// resumes on them. Stop watching the idle connections and return them with any bytes
    /// already read from them but not yet handled; the successor serves them, so no client sees
    /// a reset.
    /// - Returns: The connections to pass to the successor. This process keeps its own copy of
    ///   each until the upgrade commits.
    /// - Throws: Any error, which fails the upgrade; ``resume(_:)`` is then called.
    ///
    /// The drain counts against ``UpgraderConfiguration/upgradeTimeout``: past it the task is
    /// cancelled and the upgrade fails. Return promptly when cancelled; what is returned even
    /// then is handed back through ``resume(_:)``.
    func drain() async throws -> [HandoffConnection]

    /// Resumes serving after an upgrade failed past ``drain()``.
    /// - Parameter connections: The connections ``drain()`` returned, handed back unchanged.
    func resume(_ connections: [HandoffConnection]) async

    /// Takes over the connections the predecessor handed over, in the new process.
    /// - Parameter connections: Connections that are now this process's to serve and close.
    func adopt(_ connections: [HandoffConnection]) async
}

extension UpgradeParticipant {
    /// Passes no connections: the default for a participant that closes its idle connections.
    public func drain() async throws -> [HandoffConnection] { [] }
    /// Does nothing.
    public func resume(_ connections: [HandoffConnection]) async {}
    /// Does nothing.
    public func adopt(_ connections: [HandoffConnection]) async {}
}
