import HandoffSystem

/// The process that made a claim (or a temporary file) in a ``DirectoryStore``, named so that a
/// reused pid cannot pass for it: its pid, its start time (field 22 of `/proc/<pid>/stat`, in
/// clock ticks since boot) and the first eight hex digits of the boot id
/// (`/proc/sys/kernel/random/boot_id`), since start times repeat from one boot to the next.
struct ClaimOwner: Hashable, Sendable {
    let pid: Int32
    let startTime: UInt64
    let boot: String

    /// This process, read once.
    static let current = ClaimOwner(
        pid: Syscall.processID,
        startTime: ClaimOwner.status(of: Syscall.processID)?.startTime ?? 0,
        boot: ClaimOwner.bootID())

    init(pid: Int32, startTime: UInt64, boot: String) {
        self.pid = pid
        self.startTime = startTime
        self.boot = boot
    }

    /// `<pid>+<start>+<boot>` as it appears in file names.
    var nameComponent: String { "\(pid)+\(startTime)+\(boot)" }

    /// Parses ``nameComponent``.
    init?(nameComponent: String) {
        let parts = nameComponent.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[0]), pid > 0, let start = UInt64(parts[1]),
              !parts[2].isEmpty, parts[2].allSatisfy(\.isHexDigit) else { return nil }
        self.init(pid: pid, startTime: start, boot: String(parts[2]))
    }

    /// Whether the process that made the name still runs: same boot, the pid exists, is not a
    /// zombie, and started at the same tick. Where `/proc` cannot tell (start time 0), whether
    /// `kill(pid, 0)` finds the pid.
    var isAlive: Bool {
        if boot != ClaimOwner.current.boot { return false }
        if startTime == 0 || ClaimOwner.current.startTime == 0 {
            return Syscall.processExists(pid)
        }
        guard let status = ClaimOwner.status(of: pid) else { return false }
        return !status.zombie && status.startTime == startTime
    }

    /// The start time and zombie state of `pid`, from `/proc/<pid>/stat`; `nil` if it does not
    /// exist or does not parse.
    static func status(of pid: Int32) -> (startTime: UInt64, zombie: Bool)? {
        guard let text = readSmallFile("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 (state) is index 0, field 22 (starttime) is index 19.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return (start, fields[0] == "Z" || fields[0] == "X")
    }

    /// The first eight hex digits of this boot's id, or `"0"` if it cannot be read.
    static func bootID() -> String {
        guard let text = readSmallFile("/proc/sys/kernel/random/boot_id") else { return "0" }
        let digits = text.filter(\.isHexDigit).prefix(8)
        return digits.isEmpty ? "0" : String(digits)
    }

    /// The contents of a small file (under 4 KiB) such as those of `/proc`, or `nil`.
    private static func readSmallFile(_ path: String) -> String? {
        guard let fd = try? Syscall.open(path, .readOnly) else { return nil }
        defer { Syscall.close(fd) }
        guard let bytes = try? Syscall.readAll(fd, limit: 4096, "read(\(path))"), !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
