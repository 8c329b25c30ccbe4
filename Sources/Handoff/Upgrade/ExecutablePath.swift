#if canImport(Glibc)
import Glibc
#endif
import HandoffSystem

/// Resolves, at start, the path a deploy replaces.
///
/// The path is taken from `argv[0]` made absolute against the working directory, or found on
/// `PATH`, without resolving symbolic links: a deploy that swaps a `current` symlink to a new
/// release is then picked up by the next upgrade. `/proc/self/exe` is the fallback only; it
/// names the running inode, which a deploy has replaced.
enum ExecutablePath {
    static func resolve(argument0: String) -> String? {
        if argument0.hasPrefix("/") { return argument0 }
        if argument0.contains("/") {
            guard let cwd = currentDirectory() else { return selfExe() }
            return cwd + "/" + argument0
        }
        if let path = getenv("PATH").map({ String(cString: $0) }) {
            for directory in path.split(separator: ":") where directory.hasPrefix("/") {
                let candidate = "\(directory)/\(argument0)"
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        return selfExe()
    }

    private static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return string(fromNulTerminated: buffer)
    }

    private static func selfExe() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        var path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }
}
