import HandoffSystem

/// Writes the PID file atomically: a temporary file in the same directory, `fsync`, `rename`,
/// then `fsync` of the directory. A reader sees the old pid or the new one, never a torn write.
enum PIDFile {
    static func write(_ pid: Int32, to path: String) throws(HandoffError) {
        let temporary = "\(path).\(pid).tmp"
        let fd = try Syscall.open(temporary, [.writeOnly, .create, .truncate], mode: 0o644)
        do throws(HandoffError) {
            let text = Array("\(pid)\n".utf8)
            try Syscall.writeAll(fd, text, "write(\(temporary))")
            try Syscall.fsync(fd, "fsync(\(temporary))")
            Syscall.close(fd)
            try Syscall.rename(temporary, path)
        } catch {
            Syscall.close(fd)
            Syscall.removeQuietly(temporary)
            throw error
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        Syscall.syncDirectory(directory)
    }
}
