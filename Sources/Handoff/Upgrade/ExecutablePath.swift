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
        if let path = Environment.value("PATH") {
            for directory in path.split(separator: ":") where directory.hasPrefix("/") {
                let candidate = "\(directory)/\(argument0)"
                if Syscall.isExecutable(candidate) { return candidate }
            }
        }
        return selfExe()
    }

    private static func currentDirectory() -> String? {
        Syscall.currentDirectory()
    }

    private static func selfExe() -> String? {
        guard var path = Syscall.readLink("/proc/self/exe") else { return nil }
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }
}
