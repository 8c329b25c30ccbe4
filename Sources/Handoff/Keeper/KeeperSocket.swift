import CHandoff
#if canImport(Glibc)
import Glibc
#endif
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
        var base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        // sun_path holds 108 bytes: a long TMPDIR would not fit.
        if base.isEmpty || base.utf8.count > 60 { base = "/tmp" }
        var template = Array((base + "/handoff-keeper-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw HandoffError.system("mkdtemp(\(base)/handoff-keeper-XXXXXX)", errno: errno) }
        let directory = string(fromNulTerminated: template)
        let path = directory + "/notify"
        let fd: CInt
        do {
            fd = try Syscall.check("socket(AF_UNIX, SOCK_DGRAM)") {
                socket(AF_UNIX, datagramSocket | closeOnExecSocket | Int32(SOCK_NONBLOCK.rawValue), 0)
            }
        } catch {
            rmdir(directory)
            throw error
        }
        do {
            var address = try KeeperSocket.address(path)
            try withUnsafePointer(to: &address) { pointer throws(HandoffError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(HandoffError) in
                    _ = try Syscall.check("bind(\(path))") { Glibc.bind(fd, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            _ = try Syscall.check("setsockopt(SO_PASSCRED)") { chandoff_enable_credentials(fd) }
        } catch {
            Syscall.close(fd)
            unlink(path)
            rmdir(directory)
            throw error
        }
        return KeeperSocket(fd: fd, path: path, directory: directory)
    }

    /// Removes the socket's path and directory (the descriptor dies with the process).
    func remove() {
        unlink(path)
        rmdir(directory)
    }

    /// A `sockaddr_un` for `path`.
    /// - Throws: ``HandoffError/Code/invalidAddress`` if the path does not fit.
    static func address(_ path: String) throws(HandoffError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw HandoffError(.invalidAddress, "socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        // "@name" is an abstract socket: a NUL first, as sd_notify(3) does.
        if bytes.first == UInt8(ascii: "@") { withUnsafeMutableBytes(of: &address.sun_path) { $0[0] = 0 } }
        return address
    }
}

/// A service manager above the keeper (`$NOTIFY_SOCKET` was set when it started, and the
/// keeper is not PID 1): what the main process says is passed on, so systemd still sees
/// `READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=` and the watchdog's pings. The keeper stays
/// the main process up there, so `MAINPID=` is not passed on.
struct KeeperUpstream {
    private let fd: CInt
    private var address: sockaddr_un
    private let length: socklen_t

    /// The manager named by `socket` (`$NOTIFY_SOCKET`), or `nil` if it cannot be addressed.
    init?(socket: String) {
        guard socket.hasPrefix("/") || socket.hasPrefix("@"), let address = try? KeeperSocket.address(socket) else { return nil }
        let fd = Glibc.socket(AF_UNIX, datagramSocket | closeOnExecSocket | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.address = address
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        self.length = socklen_t(pathOffset + socket.utf8.count + (socket.hasPrefix("@") ? 0 : 1))
    }

    /// Sends `bytes` as one datagram; a failure is ignored, as `sd_notify(3)` callers do.
    mutating func send(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let length = self.length
        let fd = self.fd
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
    }
}
