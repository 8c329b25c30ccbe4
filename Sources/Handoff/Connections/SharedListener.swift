import HandoffSystem

/// A listening socket lent to a server framework that wants to own the descriptor it serves on
/// (SwiftNIO's `ServerBootstrap.bind(_:)`, say), while the ``Upgrader`` keeps its own.
///
/// The framework gets a duplicate: quiescing the framework closes *its* descriptor, and the
/// upgrader still holds the socket to pass to the successor, or to serve on again after a failed
/// upgrade (``lend()`` again). Frameworks call `listen(2)` on the socket they are given with a
/// backlog of their own (SwiftNIO: 128), which changes the shared socket's queue for every
/// process holding it; ``restoreBacklog()`` sets it back.
///
/// ```swift
/// let listener = SharedListener(descriptor: try upgrader.descriptors.listener(address))
/// let lent = try listener.lend()
/// let server = try await ServerBootstrap(group: group).bind(lent) { … }
/// try listener.restoreBacklog()
/// ```
public struct SharedListener: Sendable, Hashable {
    /// The upgrader's listening socket. Never closed here.
    public let descriptor: CInt
    /// The backlog the socket was created with (``Descriptors/listener(_:name:backlog:)``'s).
    public let backlog: Int32

    /// Wraps a listening socket the upgrader holds.
    /// - Parameters:
    ///   - descriptor: A listening stream socket.
    ///   - backlog: The accept queue length to keep on it.
    public init(descriptor: CInt, backlog: Int32 = 4096) {
        self.descriptor = descriptor
        self.backlog = backlog
    }

    /// A duplicate of the socket (`fcntl(F_DUPFD_CLOEXEC)`) for the framework to own and close.
    /// - Returns: A new descriptor for the same socket, close-on-exec.
    /// - Throws: ``HandoffError`` (``HandoffError/Code/systemCall``) if `fcntl` fails, or
    ///   (``HandoffError/Code/invalidArgument``) if the descriptor is not a listening socket.
    public func lend() throws(HandoffError) -> CInt {
        let listening = try Syscall.socketOption(descriptor, .acceptsConnections)
        guard listening != 0 else {
            throw HandoffError(.invalidArgument, "descriptor \(descriptor) is not a listening socket")
        }
        return try Syscall.duplicate(descriptor)
    }

    /// Sets the socket's accept queue back to ``backlog`` with `listen(2)`, after a framework
    /// called `listen` with its own.
    /// - Throws: ``HandoffError`` (``HandoffError/Code/systemCall``) if `listen` fails.
    public func restoreBacklog() throws(HandoffError) {
        try Syscall.listen(descriptor, backlog: backlog)
    }
}
