#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A signal's number, named.
public struct Signal: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `SIGHUP`: the upgrade request.
    public static let hangup = Signal(rawValue: SIGHUP)
    /// `SIGINT`.
    public static let interrupt = Signal(rawValue: SIGINT)
    /// `SIGQUIT`.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// `SIGTERM`.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// `SIGKILL`.
    public static let kill = Signal(rawValue: SIGKILL)
    /// `SIGCHLD`.
    public static let child = Signal(rawValue: SIGCHLD)
    /// `SIGUSR1`.
    public static let user1 = Signal(rawValue: SIGUSR1)
    /// `SIGUSR2`.
    public static let user2 = Signal(rawValue: SIGUSR2)
    /// `SIGSTOP`.
    public static let stop = Signal(rawValue: SIGSTOP)
    /// `SIGCONT`.
    public static let `continue` = Signal(rawValue: SIGCONT)
    /// `SIGPIPE`.
    public static let pipe = Signal(rawValue: SIGPIPE)

    public var description: String {
        switch self {
        case .hangup: "SIGHUP"
        case .interrupt: "SIGINT"
        case .quit: "SIGQUIT"
        case .terminate: "SIGTERM"
        case .kill: "SIGKILL"
        case .child: "SIGCHLD"
        case .user1: "SIGUSR1"
        case .user2: "SIGUSR2"
        case .stop: "SIGSTOP"
        case .continue: "SIGCONT"
        case .pipe: "SIGPIPE"
        default: "signal \(rawValue)"
        }
    }
}

extension Syscall {
    /// getpid(2).
    package static var processID: Int32 { getpid() }

    /// getppid(2).
    package static var parentProcessID: Int32 { getppid() }

    /// geteuid(2).
    package static var effectiveUserID: UInt32 { geteuid() }

    /// kill(2).
    /// - Throws: ``HandoffError`` naming `kill(pid, signal)` and its errno (`ESRCH` if gone).
    package static func kill(_ pid: Int32, _ signal: Signal) throws(HandoffError) {
        try check("kill(\(pid), \(signal))") { Glibc.kill(pid, signal.rawValue) }
    }

    /// kill(2), best effort: `false` if it failed.
    @discardableResult
    package static func signalQuietly(_ pid: Int32, _ signal: Signal) -> Bool {
        Glibc.kill(pid, signal.rawValue) == 0
    }

    /// Whether process `pid` exists: `kill(pid, 0)` succeeds, or is refused (`EPERM`: it exists
    /// but belongs to someone else).
    package static func processExists(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    /// waitpid(2) with `WNOHANG`: the raw status if `pid` has exited (and is now reaped), `nil`
    /// if it still runs.
    package static func reapIfExited(_ pid: Int32) throws(HandoffError) -> Int32? {
        var status: Int32 = 0
        let reaped = try check("waitpid(\(pid))") { waitpid(pid, &status, WNOHANG) }
        return reaped == 0 ? nil : status
    }

    /// waitpid(2), blocking, retrying `EINTR`: the raw status.
    package static func waitForExit(_ pid: Int32) throws(HandoffError) -> Int32 {
        var status: Int32 = 0
        try check("waitpid(\(pid))") { waitpid(pid, &status, 0) }
        return status
    }

    /// execv(2): replaces this process with `path` run with `arguments` (argv[0] included).
    /// - Throws: ``HandoffError`` naming `execv(path)` and its errno; it returns only then.
    package static func execute(_ path: String, _ arguments: [String]) throws(HandoffError) -> Never {
        var argv = arguments.map { strdup($0) } + [nil]
        let error = execv(path, &argv) == -1 ? Glibc.errno : EINVAL
        throw HandoffError.system("execv(\(path))", errno: error)
    }

    /// exit(3).
    package static func exit(_ code: Int32) -> Never {
        Glibc.exit(code)
    }

    /// _exit(2): no atexit handlers, no flushing.
    package static func exitImmediately(_ code: Int32) -> Never {
        Glibc._exit(code)
    }

    /// signal(2) with `SIG_IGN`: `signal` no longer does anything to this process (and its
    /// children inherit that).
    package static func ignore(_ signal: Signal) {
        _ = Glibc.signal(signal.rawValue, SIG_IGN)
    }

    /// raise(3): sends `signal` to this thread.
    package static func raise(_ signal: Signal) {
        _ = Glibc.raise(signal.rawValue)
    }

    /// pause(2) for ever: only a signal's default action (or `exit` from a handler) ends it.
    package static func pauseForever() -> Never {
        while true { _ = pause() }
    }

    /// setvbuf(3) of standard output to line buffering, so each `print` line reaches a pipe
    /// as it is printed.
    package static func lineBufferStandardOutput() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }

    /// Writes all of `text` to standard output with write(2) (not through stdio's buffer),
    /// retrying `EINTR`; a failure is dropped.
    package static func writeToStandardOutput(_ text: String) {
        try? writeAll(STDOUT_FILENO, Array(text.utf8))
    }

    /// setrlimit(2): raises the soft limit of open descriptors to the hard one.
    package static func raiseDescriptorLimit() {
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    /// fcntl(F_GETFD): whether `fd` is open, and whether it is close-on-exec.
    package static func descriptorFlags(_ fd: CInt) -> (open: Bool, closeOnExec: Bool) {
        let flags = fcntl(fd, F_GETFD)
        return (flags >= 0, flags >= 0 && flags & FD_CLOEXEC != 0)
    }

    /// gethostname(2), or `"unknown"`.
    package static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        return gethostname(&buffer, buffer.count) == 0 ? string(fromNulTerminated: buffer) : "unknown"
    }

    /// sysconf(_SC_PAGESIZE).
    package static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// sysconf(_SC_CLK_TCK): the unit of `/proc` times.
    package static var clockTicksPerSecond: Int { Int(sysconf(Int32(_SC_CLK_TCK))) }
}

/// The process's environment (getenv/setenv/unsetenv).
package enum Environment {
    /// getenv(3).
    package static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// setenv(3), overwriting.
    package static func set(_ name: String, _ value: String) {
        setenv(name, value, 1)
    }

    /// Every `NAME=value` entry of `environ`, in order.
    package static func entries() -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            entries.append(String(cString: entry))
            pointer += 1
        }
        return entries
    }

    /// unsetenv(3).
    package static func remove(_ name: String) {
        unsetenv(name)
    }
}

/// The clocks the package reads: wall time for what outlives a process, monotonic for the rest.
package enum SystemClock {
    /// `CLOCK_REALTIME` in nanoseconds since the epoch.
    package static func realtimeNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The calendar fields of `nanoseconds` since the epoch, in UTC (gmtime_r(3)).
    package static func utc(_ nanoseconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min),
                Int(parts.tm_sec), Int(nanoseconds % 1_000_000_000) / 1_000_000)
    }

    /// `CLOCK_MONOTONIC` in nanoseconds.
    package static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
