/// Whole small files read with `open(2)` and `read(2)`, for `/proc` and configuration files.
package enum FileContents {
    /// The file's bytes.
    /// - Throws: ``HandoffError`` naming `open` or `read` and the path.
    package static func read(_ path: String) throws(HandoffError) -> [UInt8] {
        let fd = try Syscall.open(path, .readOnly)
        defer { Syscall.close(fd) }
        return try Syscall.readAll(fd, "read(\(path))")
    }
}
