#if canImport(Glibc)
import Glibc
#endif

/// A directory only this process's user may enter: where a state store keeps its offers and
/// where a control socket lives.
package enum PrivateDirectory {
    /// Makes `path` and its missing parents with mode 0700 (`mkdir -p`), then refuses it unless
    /// it is a directory of this user's, closed to everybody else, that this process can write.
    /// - Throws: ``HandoffError/Code/permissionDenied`` naming the owner or the mode at fault;
    ///   ``HandoffError/Code/invalidArgument`` for something that is not a directory;
    ///   ``HandoffError/Code/systemCall`` if a call failed (named, with its errno).
    package static func prepare(_ path: String) throws(HandoffError) {
        guard !path.isEmpty else { throw HandoffError(.invalidArgument, "the directory path is empty") }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw HandoffError.system("mkdir(\(prefix))", errno: errno)
            }
        }
        var info = stat()
        try Syscall.check("stat(\(path))") { stat(path, &info) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw HandoffError(.invalidArgument, "\(path) is not a directory") }
        guard info.st_uid == geteuid() else {
            throw HandoffError(.permissionDenied, "\(path) belongs to uid \(info.st_uid), not to this process's uid \(geteuid())")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            throw HandoffError(.permissionDenied, "\(path) has mode 0\(mode); it must be private to its user (chmod 0700)")
        }
        try Syscall.check("faccessat(\(path), W_OK|X_OK)") { faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) }
    }
}
