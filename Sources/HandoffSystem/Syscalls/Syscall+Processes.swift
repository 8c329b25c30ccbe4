#if canImport(Glibc)
import Glibc
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

    /// exit(3).
    package static func exit(_ code: Int32) -> Never {
        Glibc.exit(code)
    }

    /// _exit(2): no atexit handlers, no flushing.
    package static func exitImmediately(_ code: Int32) -> Never {
        Glibc._exit(code)
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
