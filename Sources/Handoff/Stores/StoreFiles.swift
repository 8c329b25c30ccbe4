import CHandoff
#if canImport(Glibc)
import Glibc
#endif
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
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Creates `path` (which must not exist) mode 0600 holding `bytes`, with its mtime set to
    /// `expiresAt` (the epoch for "no expiry"), and fsyncs it. On failure nothing is left at
    /// `path`.
    static func writeNew(_ path: String, bytes: [UInt8], expiresAt: Int64?) throws(HandoffError) {
        let fd = try Syscall.check("open(\(path))") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        do throws(HandoffError) {
            var offset = 0
            while offset < bytes.count {
                let written = try Syscall.check("write(\(path))") {
                    bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                }
                if written == 0 { throw HandoffError(.systemCall, "write(\(path)): wrote nothing") }
                offset += written
            }
            let expiry = expiresAt ?? 0
            let time = timespec(tv_sec: Int(expiry / 1_000_000_000), tv_nsec: Int(expiry % 1_000_000_000))
            var times = [time, time]
            try Syscall.check("futimens(\(path))") { futimens(fd, &times) }
            try Syscall.check("fsync(\(path))") { fsync(fd) }
        } catch {
            Syscall.close(fd)
            _ = unlink(path)
            throw error
        }
        // On Linux the descriptor is gone even when close(2) fails (EINTR included), so it is not
        // closed again; the data is on disk already (fsync).
        if close(fd) != 0, errno != EINTR {
            let error = errno
            _ = unlink(path)
            throw HandoffError.system("close(\(path))", errno: error)
        }
    }

    /// Reads the whole file at `path` (or its first `limit` bytes); `nil` if it does not exist.
    static func read(_ path: String, limit: Int? = nil) throws(HandoffError) -> Contents? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let error = errno
            if error == ENOENT { return nil }
            if error == EINTR { return try read(path, limit: limit) }
            throw HandoffError.system("open(\(path))", errno: error)
        }
        defer { Syscall.close(fd) }
        var info = stat()
        try Syscall.check("fstat(\(path))") { fstat(fd, &info) }
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let wanted = min(Int(info.st_size), limit ?? Int.max)
        var bytes = [UInt8](repeating: 0, count: wanted)
        var count = 0
        while count < wanted {
            let n = try Syscall.check("read(\(path))") {
                bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(wanted - count)
        return Contents(bytes: bytes, expiresAt: mtime == 0 ? nil : mtime)
    }

    /// `renameat2(from, to, RENAME_NOREPLACE)`: moves `from` to `to` unless `to` exists (EEXIST).
    ///
    /// Where glibc or the file system lacks it (ENOSYS, EINVAL), `link(from, to)` then
    /// `unlink(from)`: equally create-only, but for a moment the file has both names; a name left
    /// behind by a crash in between has a link count above 1, which ``DirectoryStore`` treats as
    /// stale.
    static func moveNoReplace(_ from: String, _ to: String) throws(HandoffError) {
        while true {
            if chandoff_rename_noreplace(from, to) == 0 { return }
            let error = errno
            if error == EINTR { continue }
            if error != ENOSYS && error != EINVAL {
                throw HandoffError.system("renameat2(\(from), \(to), RENAME_NOREPLACE)", errno: error)
            }
            break
        }
        try Syscall.check("link(\(from), \(to))") { link(from, to) }
        _ = unlink(from)
    }

    /// `rename(from, to)`, which replaces `to`: only for names unique to this process.
    static func rename(_ from: String, _ to: String) throws(HandoffError) {
        try Syscall.check("rename(\(from), \(to))") { Glibc.rename(from, to) }
    }

    /// `unlink(path)`; `false` if it did not exist.
    @discardableResult
    static func unlinkIfPresent(_ path: String) throws(HandoffError) -> Bool {
        if unlink(path) == 0 { return true }
        let error = errno
        if error == ENOENT { return false }
        throw HandoffError.system("unlink(\(path))", errno: error)
    }

    /// Whether `path` exists (`lstat`).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The link count of `path`, or `nil` if it does not exist.
    static func linkCount(_ path: String) -> Int? {
        var info = stat()
        return lstat(path, &info) == 0 ? Int(info.st_nlink) : nil
    }

    /// The names in `directory`, without `.` and `..`.
    static func names(in directory: String) throws(HandoffError) -> [String] {
        guard let stream = opendir(directory) else { throw HandoffError.system("opendir(\(directory))", errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// fsync of a directory, so that the names just made or removed in it survive a crash.
    ///
    /// Best effort: it runs after the change is visible to every other process, so failing it
    /// cannot undo the change; reporting it would make a caller think an offer it made was not
    /// made. (On tmpfs, the usual home of a store, it does nothing.)
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        Syscall.close(fd)
    }
}
