import CHandoff
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one funnel every system call of the package goes through: it retries on `EINTR` and
/// turns `-1` into a ``HandoffError`` that names the call, with its ``Errno``.
///
/// Keeping every call behind this seam means a Darwin port touches this folder only, a test can
/// see exactly which call failed from the error's reason, and a test can make any call fail
/// (``SyscallFaults``).
///
/// The enum and its hot entry points are `public` and `@inlinable`, not `package`: this
/// toolchain does not inline or specialize a `package` function across modules, and an opaque
/// generic call (metadata lookups, witness tables) costs more than the system call it wraps —
/// 10,000 handed-over descriptors made it show. `HandoffSystem` has no product, so `public`
/// here reaches only this package's own modules.
public enum Syscall {
    /// Runs `body` until it does not fail with `EINTR`; throws on `-1`.
    ///
    /// The task-local of ``SyscallFaults`` is read only once a test has injected faults.
    @discardableResult
    @inlinable @inline(__always)
    public static func check<T: FixedWidthInteger>(
        _ call: @autoclosure () -> String,
        retryOnInterrupt: Bool = true,
        _ body: () -> T
    ) throws(HandoffError) -> T {
        while true {
            let (result, error) = attempt(call, body)
            if result != -1 { return result }
            if error == EINTR && retryOnInterrupt { continue }
            throw HandoffError.system(call(), errno: error)
        }
    }

    /// One try of `body`, or the fault a test injected for `call`: the result, and the errno
    /// when it is `-1`.
    @usableFromInline @inline(__always)
    static func attempt<T: FixedWidthInteger>(_ call: () -> String, _ body: () -> T) -> (result: T, errno: Int32) {
        if SyscallFaults.armed.load(ordering: .relaxed), let faults = SyscallFaults.current, let injected = faults.take(call()) {
            return (-1, injected.rawValue)
        }
        let result = body()
        return (result, result == -1 ? errno : 0)
    }

    /// ``check(_:retryOnInterrupt:_:)`` for a non-blocking descriptor: `nil` where the call
    /// would block (`EAGAIN`), without building an error — the common case of a non-blocking
    /// read or write, on the hot paths.
    @inlinable @inline(__always)
    public static func checkUnlessWouldBlock<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws(HandoffError) -> T? {
        while true {
            let (result, error) = attempt(call, body)
            if result != -1 { return result }
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            throw HandoffError.system(call(), errno: error)
        }
    }

    /// For calls that return an errno value (0 on success) instead of setting errno.
    @inlinable
    public static func checkReturned(_ call: String, _ body: () -> Int32) throws(HandoffError) {
        let rc = (SyscallFaults.armed.load(ordering: .relaxed) ? SyscallFaults.current?.take(call)?.rawValue : nil) ?? body()
        if rc != 0 { throw HandoffError.system(call, errno: rc) }
    }

    /// Wraps blocking work that will run on a thread of its own so that it keeps the calling
    /// task's injected faults (``SyscallFaults``): task-locals do not cross a dispatch queue.
    package static func carryingFaults<T>(_ body: @escaping @Sendable () throws -> T) -> @Sendable () throws -> T {
        guard let faults = SyscallFaults.current else { return body }
        return { try SyscallFaults.$current.withValue(faults) { try body() } }
    }

    /// close(2), ignoring EINTR (on Linux the descriptor is gone either way).
    @inlinable
    public static func close(_ fd: CInt) {
        _ = Glibc.close(fd)
    }

    /// Sets or clears O_NONBLOCK. (Public and inlinable: adopting handed-over connections calls
    /// it once per descriptor.)
    @inlinable
    public static func setNonBlocking(_ fd: CInt, _ on: Bool = true) throws(HandoffError) {
        let flags = try check("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags { try check("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, wanted) } }
    }

    /// Sets FD_CLOEXEC.
    @inlinable
    public static func setCloseOnExec(_ fd: CInt) throws(HandoffError) {
        let flags = try check("fcntl(F_GETFD)") { fcntl(fd, F_GETFD) }
        if flags & FD_CLOEXEC == 0 {
            try check("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// getsockopt(2) of an `Int32` option at SOL_SOCKET.
    package static func socketOption(_ fd: CInt, _ option: Int32, _ name: String) throws(HandoffError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try check("getsockopt(\(name))") { getsockopt(fd, SOL_SOCKET, option, &value, &length) }
        return value
    }

    /// setsockopt(2) of an `Int32` option.
    package static func setSocketOption(_ fd: CInt, _ level: Int32, _ option: Int32, _ value: Int32, _ name: String) throws(HandoffError) {
        var value = value
        try check("setsockopt(\(name))") {
            setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}

/// `SOCK_STREAM`, which Glibc imports as an enum case.
package let streamSocket = Int32(SOCK_STREAM.rawValue)
/// `SOCK_DGRAM`.
package let datagramSocket = Int32(SOCK_DGRAM.rawValue)
/// `SOCK_CLOEXEC`.
package let closeOnExecSocket = Int32(SOCK_CLOEXEC.rawValue)

/// The text before the first NUL of a buffer a C function filled.
package func string(fromNulTerminated buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
