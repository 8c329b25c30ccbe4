import Foundation
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Starts a process whose stdout (shared by every later generation) is read line by line; waits
/// for lines with a deadline.
final class LineWatcher: Sendable {
    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    /// The lines read so far; the reader signals each one, so a waiter wakes when a line
    /// arrives instead of polling (a polling bench would take CPU from the upgrade it times).
    private final class Store: @unchecked Sendable {
        private let condition = NSCondition()
        private var lines: [(line: String, at: ContinuousClock.Instant)] = []

        func append(_ line: String, at instant: ContinuousClock.Instant) {
            condition.lock()
            lines.append((line, instant))
            condition.broadcast()
            condition.unlock()
        }

        var count: Int {
            condition.lock()
            defer { condition.unlock() }
            return lines.count
        }

        /// The first line from `start` on that satisfies `predicate`, waiting until `deadline`.
        func first(from start: Int, until deadline: Date, _ predicate: (String) -> Bool) -> (String, ContinuousClock.Instant, Int)? {
            condition.lock()
            defer { condition.unlock() }
            var checked = start
            while true {
                while checked < lines.count {
                    if predicate(lines[checked].line) { return (lines[checked].line, lines[checked].at, checked) }
                    checked += 1
                }
                if !condition.wait(until: deadline) { return nil }
            }
        }
    }

    private let store = Store()
    let process: Process

    init(binary: String, arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        let store = self.store
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                let now = ContinuousClock.now
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    store.append(line, at: now)
                }
            }
        }
    }

    var count: Int { store.count }

    /// The first line after `start` that satisfies `predicate`, and when it was read.
    func wait(after start: Int, timeout: Duration = .seconds(30), _ what: String,
              _ predicate: (String) -> Bool) throws -> (line: String, at: ContinuousClock.Instant, index: Int) {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        if let found = store.first(from: start, until: deadline, predicate) { return found }
        throw Timeout(description: "no line \(what) within \(timeout)")
    }

    /// `pid=N`: the first such field of a line (the process that printed it).
    static func speaker(of line: String) -> Int32? { field("pid", in: line).flatMap(Int32.init) }

    /// The value of the last `name=value` field of a line.
    static func field(_ name: String, in line: String, last: Bool = false) -> String? {
        let parts = line.split(separator: " ").filter { $0.hasPrefix("\(name)=") }
        guard let part = last ? parts.last : parts.first else { return nil }
        return String(part.dropFirst(name.count + 1))
    }
}
