import Foundation
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Starts a process whose stdout (shared by every later generation) is read line by line; waits
/// for lines with a deadline.
final class LineWatcher: Sendable {
    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    private final class Store: Sendable {
        let lines = Mutex<[(line: String, at: ContinuousClock.Instant)]>([])
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
                    store.lines.withLock { $0.append((line, now)) }
                }
            }
        }
    }

    var count: Int { store.lines.withLock { $0.count } }

    /// The first line after `start` that satisfies `predicate`, and when it was read.
    func wait(after start: Int, timeout: Duration = .seconds(30), _ what: String,
              _ predicate: (String) -> Bool) throws -> (line: String, at: ContinuousClock.Instant, index: Int) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = store.lines.withLock { lines -> (String, ContinuousClock.Instant, Int)? in
                for index in start..<lines.count where predicate(lines[index].line) {
                    return (lines[index].line, lines[index].at, index)
                }
                return nil
            }
            if let found { return found }
            usleep(200)
        }
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
