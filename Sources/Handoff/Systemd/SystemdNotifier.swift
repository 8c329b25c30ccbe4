import HandoffSystem

/// Sends notifications to the service manager the way `sd_notify(3)` does, without libsystemd:
/// one datagram per message to the `AF_UNIX` socket named by `$NOTIFY_SOCKET`.
///
/// A message is newline-separated `KEY=VALUE` assignments, sent as one datagram so systemd
/// applies them together (`RELOADING=1` with its `MONOTONIC_USEC=`, say). Descriptors ride on
/// the same datagram as `SCM_RIGHTS`, for the file descriptor store (`FDSTORE=1`).
///
/// ```swift
/// if let systemd = SystemdNotifier.fromEnvironment() {
///     try systemd.notify(["READY=1", "STATUS=serving"])
/// }
/// ```
///
/// Each message goes out on a socket made for it (non-blocking, close-on-exec), so a service
/// manager that re-executes and binds its socket again is reached all the same.
package struct SystemdNotifier: Sendable, Hashable {
    /// Where the messages go: a path, or an abstract name.
    package let address: SocketEndpoint

    /// A notifier for `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
    /// - Returns: `nil` if the variable is unset or empty: the process does not run under a
    ///   service manager that listens.
    package static func fromEnvironment() -> SystemdNotifier? {
        guard let value = Environment.value("NOTIFY_SOCKET"), !value.isEmpty else { return nil }
        return try? SystemdNotifier(socket: value)
    }

    /// A notifier for `socket`, as `$NOTIFY_SOCKET` spells it.
    /// - Parameter socket: An absolute path, or `@name` for an abstract socket.
    /// - Throws: ``HandoffError/Code/invalidAddress`` for anything else.
    package init(socket: String) throws {
        guard socket.hasPrefix("/") || socket.hasPrefix("@") else {
            throw HandoffError(.invalidAddress, "NOTIFY_SOCKET \"\(socket)\" is neither an absolute path nor @abstract")
        }
        self.address = try SocketEndpoint(parsing: socket)
    }

    /// Sends one message.
    /// - Parameters:
    ///   - assignments: `KEY=VALUE` lines; none may contain a newline.
    ///   - descriptors: Descriptors to attach (for `FDSTORE=1`); they stay open here.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for an empty message or a line with a
    ///   newline; ``HandoffError/Code/systemCall`` naming the call that failed (the manager's
    ///   socket is gone, its queue is full: `EAGAIN`).
    package func notify(_ assignments: [String], descriptors: [CInt] = []) throws(HandoffError) {
        guard !assignments.isEmpty else { throw HandoffError(.invalidArgument, "a notification needs at least one assignment") }
        if let bad = assignments.first(where: { $0.contains("\n") || !$0.contains("=") }) {
            throw HandoffError(.invalidArgument, "notification line \(bad.debugDescription) is not one KEY=VALUE line")
        }
        let message = Array(assignments.joined(separator: "\n").utf8)
        let fd = try Syscall.socket(.unix, .datagram, .nonBlocking, "socket(NOTIFY_SOCKET)")
        defer { Syscall.close(fd) }
        try Syscall.connect(fd, to: address, "connect(NOTIFY_SOCKET \(address))")
        let sent = try Syscall.sendMessage(fd, bytes: message, descriptors: descriptors, "sendmsg(NOTIFY_SOCKET)") ?? 0
        if sent != message.count {
            throw HandoffError(.systemCall, "sendmsg(NOTIFY_SOCKET) sent \(sent) of \(message.count) bytes")
        }
    }
}
