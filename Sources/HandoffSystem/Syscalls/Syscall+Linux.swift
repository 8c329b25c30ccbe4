import CHandoff
#if canImport(Glibc)
import Glibc
#endif

// The Linux-only calls: renameat2, eventfd, SO_PASSCRED, madvise(MADV_POPULATE_WRITE), prctl,
// waitid(WNOWAIT), memfd. (epoll lives in Reactor/, pidfd with the child processes, inotify
// with the offer watcher.)
extension Syscall {
    /// `renameat2(from, to, RENAME_NOREPLACE)`: `false` where the kernel or file system lacks it
    /// (`ENOSYS`, `EINVAL`), so the caller falls back.
    /// - Throws: ``HandoffError`` naming the call; `EEXIST` if `to` exists.
    package static func renameNoReplace(_ from: String, _ to: String) throws(HandoffError) -> Bool {
        do {
            try check("renameat2(\(from), \(to), RENAME_NOREPLACE)") { chandoff_rename_noreplace(from, to) }
            return true
        } catch where error.errno == .notImplemented || error.errno == .invalidArgument {
            return false
        }
    }

    /// eventfd(2), close-on-exec and non-blocking: a counter to wake a poll(2) from another thread.
    package static func eventDescriptor() throws(HandoffError) -> CInt {
        try check("eventfd") { chandoff_eventfd() }
    }

    /// Adds 1 to an eventfd's counter, best effort: wakes whoever polls it.
    @inlinable
    public static func signalEvent(_ fd: CInt) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    /// setsockopt(SO_PASSCRED, 1): the kernel stamps every message read with its sender's pid.
    package static func enableCredentials(_ fd: CInt) throws(HandoffError) {
        try check("setsockopt(SO_PASSCRED)") { chandoff_enable_credentials(fd) }
    }

    /// madvise(MADV_POPULATE_WRITE) over the whole pages inside `range`: faults them in ahead of
    /// use. `false` where the kernel refuses (before 5.14) or memory is short.
    package static func prefault(_ range: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = range.baseAddress, range.count > 0 else { return true }
        let page = UInt(pageSize)
        let start = (UInt(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (UInt(bitPattern: base) + UInt(range.count)) & ~(page - 1)
        guard end > start else { return true }
        return madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_POPULATE_WRITE) == 0
    }

    /// prctl(PR_SET_CHILD_SUBREAPER, 1).
    package static func becomeChildSubreaper() throws(HandoffError) {
        try check("prctl(PR_SET_CHILD_SUBREAPER)") { chandoff_set_child_subreaper() }
    }

    /// waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT): a child that has exited, not reaped; `nil`
    /// if none has (or there is none).
    package static func peekExitedChild() throws(HandoffError) -> Int32? {
        var pid: pid_t = 0
        let found = try check("waitid(WNOWAIT)") { chandoff_peek_exited_child(&pid) }
        return found == 1 ? pid : nil
    }

    /// memfd_create(2), close-on-exec, sealable.
    package static func memoryFile(_ name: String) throws(HandoffError) -> CInt {
        try check("memfd_create(\(name))") { chandoff_memfd_create(name) }
    }

    /// Seals a memfd against every change.
    package static func sealMemoryFile(_ fd: CInt) throws(HandoffError) {
        try check("fcntl(F_ADD_SEALS)") { chandoff_memfd_seal(fd) }
    }
}
