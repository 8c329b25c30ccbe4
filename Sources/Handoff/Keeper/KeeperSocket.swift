import HandoffSystem

/// The keeper's `$NOTIFY_SOCKET`: a datagram socket bound in a directory of its own (mode
/// 0700, made with `mkdtemp(3)`), with `SO_PASSCRED` on so every message carries its sender's
/// pid as the kernel vouches for it.
///
/// Only the keeper's user can reach the path, and the keeper acts only on messages whose
/// sender is the current main process (systemd's `NotifyAccess=main`): another process that
/// finds the path is ignored.
struct KeeperSocket {
    let fd: CInt
    /// The socket's path, handed to the main process as `NOTIFY_SOCKET`.
    let path: String
    private let directory: String

    /// Makes the directory under `$TMPDIR` (or `/tmp`) and binds the socket in it.
    /// - Throws: ``HandoffError/Code/systemCall`` naming the call that failed.
    static func bind() throws(HandoffError) -> KeeperSocket {
        var base = Environment.value("TMPDIR") ?? "/tmp"
        // sun_path holds 108 bytes: a long TMPDIR would not fit.
        if base.isEmpty || base.utf8.count > 60 { base = "/tmp" }
        let directory = try Syscall.makeTemporaryDirectory(base + "/handoff-keeper-XXXXXX")
        let path = directory + "/notify"
        let fd: CInt
        do {
            fd = try Syscall.socket(.unix, .datagram, .nonBlocking, "socket(AF_UNIX, SOCK_DGRAM)")
        } catch {
            Syscall.removeDirectoryQuietly(directory)
            throw error
        }
        do {
            var address = try UnixSocketAddress(path)
            try address.bind(fd, "bind(\(path))")
            try Syscall.enableCredentials(fd)
        } catch {
            Syscall.close(fd)
            Syscall.removeQuietly(path)
            Syscall.removeDirectoryQuietly(directory)
            throw error
        }
        return KeeperSocket(fd: fd, path: path, directory: directory)
    }

    /// Removes the socket's path and directory (the descriptor dies with the process).
    func remove() {
        Syscall.removeQuietly(path)
        Syscall.removeDirectoryQuietly(directory)
    }
}

/// A service manager above the keeper (`$NOTIFY_SOCKET` was set when it started, and the
/// keeper is not PID 1): what the main process says is passed on, so systemd still sees
/// `READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=` and the watchdog's pings. The keeper stays
/// the main process up there, so `MAINPID=` is not passed on.
struct KeeperUpstream {
    private let fd: CInt
    private var address: UnixSocketAddress

    /// The manager named by `socket` (`$NOTIFY_SOCKET`), or `nil` if it cannot be addressed.
    init?(socket: String) {
        guard socket.hasPrefix("/") || socket.hasPrefix("@"), let address = try? UnixSocketAddress(socket),
              let fd = try? Syscall.socket(.unix, .datagram, .nonBlocking) else { return nil }
        self.fd = fd
        self.address = address
    }

    /// Sends `bytes` as one datagram; a failure is ignored, as `sd_notify(3)` callers do.
    mutating func send(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        address.send(from: fd, bytes)
    }
}
