import Handoff
import HandoffServices
import HandoffSystem

/// The process's own figures, from `/proc`: start time, open descriptors, resident memory.
enum ProcessMetrics {
    /// When this process started, in seconds since the Unix epoch: `/proc/self/stat`'s start
    /// time (clock ticks after boot) plus `/proc/stat`'s boot time.
    static let startTimeSeconds: Double = {
        if let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")"),
           let procStat = read("/proc/stat"),
           let bootLine = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
           let boot = Double(bootLine.dropFirst(6).trimmingSpaces()) {
            // Fields after the command: state is field 3; start time is field 22.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 19, let ticks = Double(fields[19]) {
                return boot + ticks / Double(Syscall.clockTicksPerSecond)
            }
        }
        return Double(SystemClock.realtimeNanoseconds()) / 1e9
    }()

    /// How many descriptors are open (entries of `/proc/self/fd`, less the directory's own).
    static func openDescriptors() -> Double {
        // Less the descriptor the listing itself holds open.
        guard let names = try? Syscall.directoryNames("/proc/self/fd") else { return .nan }
        return Double(max(names.count - 1, 0))
    }

    /// Resident memory in bytes: `/proc/self/statm`'s second field, in pages.
    static func residentBytes() -> Double {
        guard let statm = read("/proc/self/statm") else { return .nan }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
        return pages * Double(Syscall.pageSize)
    }

    /// A small `/proc` file's contents.
    static func read(_ path: String) -> String? {
        (try? FileContents.read(path)).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        drop { $0 == " " }.reversed().drop { $0 == " " || $0 == "\n" }.reversed().map { $0 }.reduce(into: Substring()) { $0.append($1) }
    }
}
