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
    static let forwardedSignals: [Signal] = [.hangup, .terminate, .interrupt, .user1, .user2, .quit]

    /// The mode in force: `HANDOFF_KEEPER` if set, else `configured`.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if `HANDOFF_KEEPER` names no mode.
    static func mode(configured: KeeperMode) throws(HandoffError) -> KeeperMode {
        guard let text = Environment.value(modeVariable) else { return configured }
        return try KeeperMode(parsing: text)
    }

    /// Whether this process should stay behind as the keeper: a first start (no predecessor,
    /// not itself a keeper's child), and PID 1 or ``KeeperMode/always``.
    static func shouldKeep(_ mode: KeeperMode) -> Bool {
        guard Environment.value("HANDOFF_CONTROL_FD") == nil, Environment.value(childVariable) == nil, mode != .off else { return false }
        return mode == .always || Syscall.processID == 1
    }

    /// Why an upgrade cannot work here, if it cannot: this process is PID 1 of its namespace and
    /// not kept, so its exit after the handover would end the successor with it.
    static func refusal() -> HandoffError? {
        guard Syscall.processID == 1 else { return nil }
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
        let signalFD: CInt
        do { signalFD = try Syscall.keeperSignalPipe([.child] + forwardedSignals) } catch { fail("cannot trap signals: \(error.errno?.description ?? error.reason)") }
        // Not PID 1: orphaned generations must still come to the keeper, not to init.
        if Syscall.processID != 1 {
            do { try Syscall.becomeChildSubreaper() } catch { fail("prctl(PR_SET_CHILD_SUBREAPER): \(error.errno?.description ?? error.reason)") }
        }
        let socket: KeeperSocket
        do { socket = try KeeperSocket.bind() } catch { fail("\(error)") }
        let upstream = Environment.value("NOTIFY_SOCKET").flatMap { KeeperUpstream(socket: $0) }

        let child: ChildProcess
        do {
            // No control channel: the child is a first generation.
            child = try ChildProcess.spawn(path: executablePath, arguments: arguments, environment: childEnvironment(notifySocket: socket.path), controlFD: -1)
        } catch {
            socket.remove()
            fail("posix_spawn(\(executablePath)): \(error.errno?.description ?? error.reason)", status: 127)
        }
        var loop = KeeperLoop(main: child.pid, socket: socket, signalFD: signalFD, upstream: upstream)
        let status = loop.run()
        socket.remove()
        // As a subreaper (not PID 1) nothing ends the rest with the keeper: end it here.
        if Syscall.processID != 1 { killChildren() }
        Syscall.exit(status)
    }

    /// This process's environment for the child: `NOTIFY_SOCKET` pointing at the keeper,
    /// `HANDOFF_KEEPER_PID` set, and `WATCHDOG_PID` dropped (the child pings the watchdog
    /// through the keeper, which passes the pings on).
    static func childEnvironment(notifySocket: String) -> [String] {
        ChildProcess.environment(
            dropping: ["NOTIFY_SOCKET=", "\(childVariable)=", "WATCHDOG_PID="],
            adding: ["NOTIFY_SOCKET=\(notifySocket)", "\(childVariable)=\(Syscall.processID)"])
    }

    /// SIGKILL to every remaining child: each process whose own `/proc/<pid>/stat` names this
    /// one as its parent. Not from `/proc/self/task/*/children`: those lists are per thread, and
    /// proc(5) warns they may leave out live children while others exit, as they may here.
    private static func killChildren() {
        guard let names = try? Syscall.directoryNames("/proc") else { return }
        let me = Syscall.processID
        for name in names {
            guard name.first?.isNumber == true, let pid = Int32(name), pid != me,
                  let stat = try? FileContents.read("/proc/\(name)/stat") else { continue }
            if stat.withUnsafeBytes({ KeeperLoop.parentPID(inStat: $0) }) == me {
                Syscall.signalQuietly(pid, .kill)
            }
        }
    }

    private static func fail(_ reason: String, status: Int32 = 1) -> Never {
        Syscall.writeToStandardError("handoff keeper: \(reason)\n")
        Syscall.exit(status)
    }
}
