import HandoffSystem

/// The file operations of a ``DirectoryStore``, each a checked system call whose error names the
/// call and the path. All of them block; callers run them off the cooperative pool.
enum StoreFiles {
    /// An offer or claim file, read.
    struct Contents {
        var bytes: [UInt8]
        /// The offer's expiry in nanoseconds since the epoch, from its mtime; `nil` for none.
        var expiresAt: Int64?

        func isExpired(now: Int64 = StoreFiles.realtimeNanoseconds()) -> Bool {
            expiresAt.map { $0 <= now } ?? false
        }
    }

    /// `CLOCK_REALTIME` in nanoseconds: expiries outlive processes and boots, so wall time.
    static func realtimeNanoseconds() -> Int64 {
        SystemClock.realtimeNanoseconds()
    }

    /// Creates `path` (which must not exist) mode 0600 holding `bytes`, with its mtime set to
    /// `expiresAt` (the epoch for "no expiry"), and fsyncs it. On failure nothing is left at
    /// `path`.
    static func writeNew(_ path: String, bytes: [UInt8], expiresAt: Int64?) throws(HandoffError) {
        let fd = try Syscall.open(path, [.writeOnly, .create, .exclusive], mode: 0o600)
        do throws(HandoffError) {
            try Syscall.writeAll(fd, bytes, "write(\(path))")
            try Syscall.setTimes(fd, nanoseconds: expiresAt ?? 0, "futimens(\(path))")
            try Syscall.fsync(fd, "fsync(\(path))")
        } catch {
            Syscall.close(fd)
            Syscall.removeQuietly(path)
            throw error
        }
        // On Linux the descriptor is gone even when close(2) fails (EINTR included), so it is not
        // closed again; the data is on disk already (fsync).
        do throws(HandoffError) {
            try Syscall.closeChecked(fd, "close(\(path))")
        } catch {
            Syscall.removeQuietly(path)
            throw error
        }
    }

    /// Reads the whole file at `path` (or its first `limit` bytes); `nil` if it does not exist.
    static func read(_ path: String, limit: Int? = nil) throws(HandoffError) -> Contents? {
        guard let fd = try Syscall.openIfPresent(path, .readOnly) else { return nil }
        defer { Syscall.close(fd) }
        let info = try Syscall.status(fd, "fstat(\(path))")
        let mtime = info.modificationNanoseconds
        let bytes = try Syscall.readAll(fd, limit: min(info.size, limit ?? Int.max), "read(\(path))")
        return Contents(bytes: bytes, expiresAt: mtime == 0 ? nil : mtime)
    }

    /// `renameat2(from, to, RENAME_NOREPLACE)`: moves `from` to `to` unless `to` exists (EEXIST).
    ///
    /// Where glibc or the file system lacks it (ENOSYS, EINVAL), `link(from, to)` then
    /// `unlink(from)`: equally create-only, but for a moment the file has both names; a name left
    /// behind by a crash in between has a link count above 1, which ``DirectoryStore`` treats as
    /// stale.
    static func moveNoReplace(_ from: String, _ to: String) throws(HandoffError) {
        if try Syscall.renameNoReplace(from, to) { return }
        try Syscall.link(from, to)
        Syscall.removeQuietly(from)
    }

    /// `rename(from, to)`, which replaces `to`: only for names unique to this process.
    static func rename(_ from: String, _ to: String) throws(HandoffError) {
        try Syscall.rename(from, to)
    }

    /// `unlink(path)`; `false` if it did not exist.
    @discardableResult
    static func unlinkIfPresent(_ path: String) throws(HandoffError) -> Bool {
        try Syscall.unlinkIfPresent(path)
    }

    /// Whether `path` exists (`lstat`).
    static func exists(_ path: String) -> Bool {
        Syscall.linkStatus(path) != nil
    }

    /// The link count of `path`, or `nil` if it does not exist.
    static func linkCount(_ path: String) -> Int? {
        Syscall.linkStatus(path)?.linkCount
    }

    /// The names in `directory`, without `.` and `..`.
    static func names(in directory: String) throws(HandoffError) -> [String] {
        try Syscall.directoryNames(directory)
    }

    /// fsync of a directory, so that the names just made or removed in it survive a crash.
    ///
    /// Best effort: it runs after the change is visible to every other process, so failing it
    /// cannot undo the change; reporting it would make a caller think an offer it made was not
    /// made. (On tmpfs, the usual home of a store, it does nothing.)
    static func syncDirectory(_ directory: String) {
        Syscall.syncDirectory(directory)
    }
}
