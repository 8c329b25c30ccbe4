#if canImport(Glibc)
import Glibc
#endif

/// Whole small files read with `open(2)` and `read(2)`, for `/proc` and configuration files.
package enum FileContents {
    /// The file's bytes.
    /// - Throws: ``HandoffError`` naming `open` or `read` and the path.
    package static func read(_ path: String) throws(HandoffError) -> [UInt8] {
        let fd = try Syscall.check("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try Syscall.check("read(\(path))") { Glibc.read(fd, &buffer, buffer.count) }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }
}
