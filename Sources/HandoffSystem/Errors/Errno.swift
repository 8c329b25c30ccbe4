#if canImport(Glibc)
import Glibc
#endif

/// The error number a failed system call left in `errno`, typed.
///
/// Compare with the named constants (`error.errno == .addressInUse`) or read ``rawValue``;
/// ``description`` is the C library's `strerror` text with the number.
public struct Errno: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The C value of `errno`.
    public let rawValue: Int32

    /// Wraps a C `errno` value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Wraps a C `errno` value.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The value `errno` holds now, on this thread.
    package static var current: Errno { Errno(Glibc.errno) }

    /// `strerror(3)` of the value, with the number: `"Address already in use (errno 98)"`.
    public var description: String { "\(String(cString: strerror(rawValue))) (errno \(rawValue))" }

    /// `EPERM`.
    public static let notPermitted = Errno(EPERM)
    /// `ENOENT`.
    public static let noSuchFileOrDirectory = Errno(ENOENT)
    /// `ESRCH`.
    public static let noSuchProcess = Errno(ESRCH)
    /// `EINTR`.
    public static let interrupted = Errno(EINTR)
    /// `EBADF`.
    public static let badFileDescriptor = Errno(EBADF)
    /// `ECHILD`.
    public static let noChildProcess = Errno(ECHILD)
    /// `EAGAIN` (also `EWOULDBLOCK`).
    public static let wouldBlock = Errno(EAGAIN)
    /// `ENOMEM`.
    public static let noMemory = Errno(ENOMEM)
    /// `EACCES`.
    public static let permissionDenied = Errno(EACCES)
    /// `EEXIST`.
    public static let fileExists = Errno(EEXIST)
    /// `EINVAL`.
    public static let invalidArgument = Errno(EINVAL)
    /// `ENFILE`: the system-wide limit of open files is reached.
    public static let tooManyOpenFilesInSystem = Errno(ENFILE)
    /// `EMFILE`: this process's limit of descriptors is reached.
    public static let tooManyOpenFiles = Errno(EMFILE)
    /// `ENOSPC`.
    public static let noSpace = Errno(ENOSPC)
    /// `EPIPE`.
    public static let brokenPipe = Errno(EPIPE)
    /// `EADDRINUSE`.
    public static let addressInUse = Errno(EADDRINUSE)
    /// `ECONNRESET`.
    public static let connectionReset = Errno(ECONNRESET)
    /// `ECONNREFUSED`.
    public static let connectionRefused = Errno(ECONNREFUSED)
    /// `ETIMEDOUT`.
    public static let timedOut = Errno(ETIMEDOUT)
    /// `ENOBUFS`.
    public static let noBufferSpace = Errno(ENOBUFS)
    /// `ECONNABORTED`: a connection went away before it was accepted.
    public static let connectionAborted = Errno(ECONNABORTED)
    /// `EINPROGRESS`: a non-blocking connect is under way.
    public static let inProgress = Errno(EINPROGRESS)
    /// `ENOTCONN`.
    public static let notConnected = Errno(ENOTCONN)
    /// `EPROTO`.
    public static let protocolError = Errno(EPROTO)
    /// `ENOTSOCK`.
    public static let notSocket = Errno(ENOTSOCK)
    /// `ENOSYS`.
    public static let notImplemented = Errno(ENOSYS)
}
