import Foundation

/// One reading of every process's parent and state, each from its own `/proc/<pid>/stat`: the
/// process tree the keeper tests look at (host pids).
///
/// Not from `/proc/<pid>/task/<tid>/children`: those lists belong to threads, and proc(5)
/// warns they may leave out live children while other children or threads exit, which is
/// exactly what a replaced process does as it winds down. Read that way, the tree showed the old
/// server alone below PID 1 after its successor had taken over (the successor, still its child,
/// left out): the upgrade test then found no new server, and the SIGKILL test could kill the old
/// server on its way out and wait in vain for PID 1, which follows the successor, to exit.
///
/// A parent read from the child's own `stat` names a process, not a thread, and changes only
/// when that process's last thread is gone (it is then a zombie, or reaped): a live child is
/// never missed. At worst its parent was reaped after the child was read; the child then hangs
/// below no one in this reading, and the next reading sees it below its new parent.
struct ProcessTable {
    struct Entry: Equatable {
        let pid: pid_t
        let parent: pid_t
        /// The state letter of `stat` ("Z" for a zombie).
        let state: Character
    }

    let entries: [pid_t: Entry]

    /// Reads every process in `/proc`; those that vanish while it reads are left out.
    static func read() -> ProcessTable {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var entries: [pid_t: Entry] = [:]
        for name in names {
            guard let pid = pid_t(name), let entry = entry(of: pid) else { continue }
            entries[pid] = entry
        }
        return ProcessTable(entries: entries)
    }

    /// `pid`'s line of `/proc/<pid>/stat`, or `nil` if it is gone.
    static func entry(of pid: pid_t) -> Entry? {
        // "pid (comm) S ppid …": comm may hold anything, so look after the last ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return Entry(pid: pid, parent: parent, state: state)
    }

    /// The processes whose parent is `pid`, lowest pid first.
    func children(of pid: pid_t) -> [pid_t] {
        entries.values.filter { $0.parent == pid }.map(\.pid).sorted()
    }

    /// Every process below `pid`, depth first.
    func descendants(of pid: pid_t) -> [pid_t] {
        children(of: pid).flatMap { [$0] + descendants(of: $0) }
    }

    func state(of pid: pid_t) -> Character? { entries[pid]?.state }

    /// The pid `pid` has in the innermost PID namespace it belongs to (the `NSpid:` line of
    /// `/proc/<pid>/status`): the pid the program prints about itself.
    static func namespacePID(of pid: pid_t) -> pid_t? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { pid_t($0) }
    }

    /// The tree below `root`, one process a line: host pid, namespace pid, state, command line.
    func tree(below root: pid_t) -> String {
        func lines(_ pid: pid_t, depth: Int) -> [String] {
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .split(separator: "\0").prefix(3).joined(separator: " ") ?? "?"
            let line = String(repeating: "  ", count: depth)
                + "\(pid) (ns \(ProcessTable.namespacePID(of: pid).map(String.init) ?? "?")) \(state(of: pid).map(String.init) ?? "gone") \(command)"
            return [line] + children(of: pid).flatMap { lines($0, depth: depth + 1) }
        }
        return lines(root, depth: 0).joined(separator: "\n")
    }
}
