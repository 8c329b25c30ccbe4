import CHandoff
#if canImport(Glibc)
import Glibc
#endif

// Waiting for a child's exit on Linux: its pidfd (pidfd_open(2), Linux 5.3) becomes readable
// when it exits, and the process's reactor waits on it like on any other descriptor.
extension ChildProcess {
    /// Waits for the process to exit and reaps it.
    ///
    /// The wait is the ``Reactor``'s: the process's pidfd is watched, and `waitpid(WNOHANG)`
    /// reaps it once it is readable. Where no pidfd can be had (`ENOSYS` before Linux 5.3,
    /// `EMFILE`/`ENFILE` with no descriptor left) or the reactor cannot start, a blocking
    /// `waitpid` on a thread of its own does it instead, off the cooperative pool.
    /// - Returns: How it ended; ``ExitStatus/unknown`` if something else (an application's
    ///   SIGCHLD handler) reaped it.
    package func reap() async -> ExitStatus {
        let pid = self.pid
        let pidfd = chandoff_pidfd_open(pid)
        if pidfd < 0 {
            // ESRCH: no such process any more, so somebody else reaped it.
            return errno == ESRCH ? .unknown : await Self.reapBlocking(pid)
        }
        let watched: ExitStatus?? = await withCheckedContinuation { continuation in
            do {
                try Reactor.shared().watch(pidfd) { _ in
                    guard let status = Self.reapIfExited(pid) else { return .keep }
                    // The pidfd is closed before the waiter goes on: whoever learns the child
                    // is gone sees none of its descriptors left.
                    return .closeThen { continuation.resume(returning: .some(status)) }
                }
            } catch {
                continuation.resume(returning: .none)
            }
        }
        if let watched { return watched ?? .unknown }
        Syscall.close(pidfd)
        return await Self.reapBlocking(pid)
    }

    /// `waitpid(WNOHANG)`: `nil` while the process runs (a readiness reported early).
    private static func reapIfExited(_ pid: pid_t) -> ExitStatus? {
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid { return ExitStatus(waitStatus: status) }
            if rc == 0 { return nil }
            if errno == EINTR { continue }
            // ECHILD: someone else (an application SIGCHLD handler) reaped it.
            return .unknown
        }
    }

    /// A blocking `waitpid` on a thread of its own (or, if no thread can be made, on the
    /// caller's: the process is then out of resources anyway).
    private static func reapBlocking(_ pid: pid_t) async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let body: @Sendable () -> Void = {
                var status: Int32 = 0
                while true {
                    let rc = waitpid(pid, &status, 0)
                    if rc == pid { break }
                    if rc < 0 && errno == EINTR { continue }
                    continuation.resume(returning: .unknown)
                    return
                }
                continuation.resume(returning: ExitStatus(waitStatus: status))
            }
            do {
                try DedicatedThread.detach(body)
            } catch {
                body()
            }
        }
    }
}
