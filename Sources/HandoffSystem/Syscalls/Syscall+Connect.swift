#if canImport(Glibc)
import Glibc
#endif

extension Syscall {
    /// connect(2) to `endpoint`, retrying `EINTR` on a blocking socket.
    /// - Throws: ``HandoffError`` naming `connect(endpoint)` and its errno.
    package static func connect(_ fd: CInt, to endpoint: SocketEndpoint, _ name: @autoclosure () -> String? = nil) throws(HandoffError) {
        let label = name() ?? "connect(\(endpoint))"
        try endpoint.withSockAddr { pointer, length throws(HandoffError) in
            _ = try check(label) { Glibc.connect(fd, pointer, length) }
        }
    }

    /// The outcome of starting a connect(2) on a non-blocking socket.
    package enum ConnectProgress: Sendable, Equatable {
        /// Connected at once.
        case connected
        /// Under way (`EINPROGRESS`): wait for the socket to be writable, then read
        /// ``SocketOption/error``.
        case inProgress
    }

    /// connect(2) on a non-blocking socket: done, or under way.
    package static func startConnect(_ fd: CInt, to endpoint: SocketEndpoint) throws(HandoffError) -> ConnectProgress {
        do {
            try connect(fd, to: endpoint)
            return .connected
        } catch where error.errno == .inProgress {
            return .inProgress
        }
    }

    /// A new blocking stream socket connected to `endpoint`, close-on-exec.
    package static func connectedSocket(to endpoint: SocketEndpoint, _ flags: SocketFlags = []) throws(HandoffError) -> CInt {
        let fd = try socket(for: endpoint, .stream, flags)
        do {
            try connect(fd, to: endpoint)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Whether anybody accepts on the Unix socket at `endpoint`: `false` if connecting is
    /// refused (a path a dead process left behind).
    package static func isAccepting(_ endpoint: SocketEndpoint, _ type: SocketType) throws(HandoffError) -> Bool {
        let probe = try socket(.unix, type, [], "socket(probe)")
        defer { close(probe) }
        do {
            try connect(probe, to: endpoint)
            return true
        } catch where error.errno == .connectionRefused {
            return false
        } catch {
            return true
        }
    }
}
