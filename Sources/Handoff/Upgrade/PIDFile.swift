#if canImport(Glibc)
import Glibc
#endif
import HandoffSystem

/// Writes the PID file atomically: a temporary file in the same directory, `fsync`, `rename`,
/// then `fsync` of the directory. A reader sees the old pid or the new one, never a torn write.
enum PIDFile {
    static func write(_ pid: pid_t, to path: String) throws(HandoffError) {
        let temporary = "\(path).\(pid).tmp"
        let fd = try Syscall.check("open(\(temporary))") { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        do throws(HandoffError) {
            let text = Array("\(pid)\n".utf8)
            let written = try Syscall.check("write(\(temporary))") { Glibc.write(fd, text, text.count) }
            if written != text.count { throw HandoffError(.systemCall, "write(\(temporary)): short write") }
            try Syscall.check("fsync(\(temporary))") { fsync(fd) }
            Syscall.close(fd)
            try Syscall.check("rename(\(temporary), \(path))") { rename(temporary, path) }
        } catch {
            Syscall.close(fd)
            _ = unlink(temporary)
            throw error
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if let dirFD = Optional(open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)), dirFD >= 0 {
            _ = fsync(dirFD)
            Syscall.close(dirFD)
        }
    }
}
