import CHandoff
#if canImport(Glibc)
import Glibc
#endif

/// A new process started with `posix_spawn`: its control channel end as fd 3, nothing else
/// above 2 inherited, signal mask empty, every signal's disposition default.
///
/// `Foundation.Process` cannot do this: it closes every descriptor above 2 in the child.
package struct ChildProcess: Sendable {
    package let pid: pid_t

    /// Spawns `path` with `arguments` (including argv[0]) and `environment`.
    package static func spawn(path: String, arguments: [String], environment: [String], controlFD: CInt) throws(HandoffError) -> ChildProcess {
        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                chandoff_spawn(&pid, path, argv, envp, controlFD)
            }
        }
        if rc != 0 {
            throw HandoffError.system("posix_spawn(\(path))", errno: rc)
        }
        return ChildProcess(pid: pid)
    }

    /// This process's environment for a child: every variable but those starting with one of
    /// `dropped` (`"NAME="`), then `added`.
    package static func environment(dropping dropped: [String], adding added: [String]) -> [String] {
        var environment: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if !dropped.contains(where: text.hasPrefix) { environment.append(text) }
            pointer += 1
        }
        return environment + added
    }

    /// Sends SIGKILL and waits for the process to be gone; returns how it ended.
    package func killAndReap() async -> ExitStatus {
        kill()
        return await reap()
    }

    /// Sends SIGKILL. The process runs none of its own code after this returns.
    package func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }
}

/// How a process ended.
package enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)
    case unknown

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signalled(status & 0x7f)
        }
    }

    package var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "was killed by signal \(signal)"
        case .unknown: "ended (status unknown: reaped elsewhere)"
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
package func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
