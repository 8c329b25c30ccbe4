import CHandoff
#if canImport(Glibc)
import Glibc
#endif
import HandoffSystem

/// PID 1 for a Handoff program: spawns the program as its child, then follows whichever process
/// is the main one (``KeeperLoop``) until it exits without a successor, and exits with its status.
///
/// ``Upgrader/init(configuration:)`` becomes the keeper by itself at a first start as PID 1
/// (``KeeperMode/automatic``), so `docker run image` just works: the process spawns its own
/// binary with the same arguments and never returns into the application. The application's
/// code up to that point ran once in the keeper too; it should create the upgrader first.
///
/// The child learns where to send its notifications from `NOTIFY_SOCKET` (the keeper's own
/// socket) and that it is kept from `HANDOFF_KEEPER_PID`, so it does not become a keeper in turn.
/// `handoff-keeper` (Sources/HandoffKeeper) runs the same loop in front of any program.
package enum Keeper {
    /// Set in the child's environment to the keeper's pid.
    static let childVariable = "HANDOFF_KEEPER_PID"
    /// Overrides ``UpgraderConfiguration/keeper``.
    static let modeVariable = "HANDOFF_KEEPER"
    /// The signals passed on to the main process (SIGCHLD only wakes the keeper to reap).
    static let forwardedSignals: [Int32] = [SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGQUIT]

    /// The mode in force: `HANDOFF_KEEPER` if set, else `configured`.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if `HANDOFF_KEEPER` names no mode.
    static func mode(configured: KeeperMode) throws(HandoffError) -> KeeperMode {
        guard let text = getenv(modeVariable).map({ String(cString: $0) }) else { return configured }
        return try KeeperMode(parsing: text)
    }

    /// Whether this process should stay behind as the keeper: a first start (no predecessor,
    /// not itself a keeper's child), and PID 1 or ``KeeperMode/always``.
    static func shouldKeep(_ mode: KeeperMode) -> Bool {
        guard getenv("HANDOFF_CONTROL_FD") == nil, getenv(childVariable) == nil, mode != .off else { return false }
        return mode == .always || getpid() == 1
    }

    /// Why an upgrade cannot work here, if it cannot: this process is PID 1 of its namespace and
    /// not kept, so its exit after the handover would end the successor with it.
    static func refusal() -> HandoffError? {
        guard getpid() == 1 else { return nil }
        return HandoffError(.noKeeper, """
            this process is PID 1 of its PID namespace and the keeper is turned off: when it exits after handing \
            over, the kernel ends every process in the namespace, its successor included. Let the keeper run \
            (unset HANDOFF_KEEPER=off, or UpgraderConfiguration.keeper = .automatic), or put an init that follows \
            MAINPID= in front of it (see "Running in a container")
            """)
    }

    /// Becomes the keeper of `executablePath`: spawns it with `arguments`, follows it and its
    /// successors, and exits the process with the status of the last one.
    /// - Parameters:
    ///   - executablePath: The program to run as the first main process.
    ///   - arguments: Its arguments, `argv[0]` included.
    package static func run(executablePath: String, arguments: [String]) -> Never {
        let trapped = [SIGCHLD] + forwardedSignals
        let signalFD = trapped.withUnsafeBufferPointer { chandoff_keeper_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard signalFD >= 0 else { fail("cannot trap signals: \(String(cString: strerror(errno)))") }
        // Not PID 1: orphaned generations must still come to the keeper, not to init.
        if getpid() != 1 && chandoff_set_child_subreaper() != 0 {
            fail("prctl(PR_SET_CHILD_SUBREAPER): \(String(cString: strerror(errno)))")
        }
        let socket: KeeperSocket
        do { socket = try KeeperSocket.bind() } catch { fail("\(error)") }
        let upstream = getenv("NOTIFY_SOCKET").flatMap { KeeperUpstream(socket: String(cString: $0)) }

        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(childEnvironment(notifySocket: socket.path)) { envp in
                chandoff_spawn(&pid, executablePath, argv, envp, -1)
            }
        }
        if rc != 0 {
            socket.remove()
            fail("posix_spawn(\(executablePath)): \(String(cString: strerror(rc)))", status: 127)
        }
        var loop = KeeperLoop(main: pid, socket: socket, signalFD: signalFD, upstream: upstream)
        let status = loop.run()
        socket.remove()
        // As a subreaper (not PID 1) nothing ends the rest with the keeper: end it here.
        if getpid() != 1 { killChildren() }
        exit(status)
    }

    /// This process's environment for the child: `NOTIFY_SOCKET` pointing at the keeper,
    /// `HANDOFF_KEEPER_PID` set, and `WATCHDOG_PID` dropped (the child pings the watchdog
    /// through the keeper, which passes the pings on).
    static func childEnvironment(notifySocket: String) -> [String] {
        ChildProcess.environment(
            dropping: ["NOTIFY_SOCKET=", "\(childVariable)=", "WATCHDOG_PID="],
            adding: ["NOTIFY_SOCKET=\(notifySocket)", "\(childVariable)=\(getpid())"])
    }

    /// SIGKILL to every remaining child (from `/proc/self/task/*/children`).
    private static func killChildren() {
        guard let tasks = opendir("/proc/self/task") else { return }
        defer { closedir(tasks) }
        while let entry = readdir(tasks) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.first?.isNumber == true, let bytes = try? FileContents.read("/proc/self/task/\(name)/children") else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for child in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap({ pid_t($0) }) {
                _ = kill(child, SIGKILL)
            }
        }
    }

    private static func fail(_ reason: String, status: Int32 = 1) -> Never {
        let line = Array("handoff keeper: \(reason)\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        exit(status)
    }
}
