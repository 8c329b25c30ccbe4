import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// A program run as PID 1 of a PID namespace of its own, the way a container without an init
/// runs it: `unshare --pid --fork --mount-proc --kill-child PROGRAM ARGS…`.
///
/// The pids the program prints are the namespace's; this class only ever signals host pids,
/// found from the host's `/proc`: the namespace's PID 1 is `unshare`'s only child, and every
/// other process of the namespace descends from it.
final class NamespacedProgram: Sendable {
    let directory: URL
    private let process: Process
    /// What the program printed; shared with the reader thread.
    private final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }
    private let log = Lines()

    /// Starts `executable` (default: the built `program`) with `arguments`; `environment` is
    /// added to the test's own. Lines are those on stdout that start with `program`.
    init(program: String = "handoff-demo", executable: URL? = nil, arguments: [String], environment extra: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            Issue.record("unshare(1) is missing: apt-get install -y util-linux")
            throw FixtureError.timedOut
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-keeper-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        var options = ["--pid", "--fork", "--mount-proc", "--kill-child"]
        if getuid() != 0 { options.insert("--map-root-user", at: 0) }
        process.arguments = options + [(executable ?? FixtureProcess.binary(program)).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = directory.path
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        let errors = directory.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let reader = pipe.fileHandleForReading
        let prefix = program + " "
        Thread { [log] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let text = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if text.hasPrefix(prefix) { log.all.withLock { $0.append(text) } }
                }
            }
        }.start()
    }

    deinit {
        // unshare's --kill-child ends PID 1, and with it the whole namespace.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ProcessInfo.processInfo.environment["HANDOFF_TEST_KEEP"] != "1" {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    var lineCount: Int { log.all.withLock { $0.count } }
    var allLines: [String] { log.all.withLock { $0 } }

    /// Waits for a line containing `text` (and `generation=N` if given) after the first `start`.
    @discardableResult
    func waitFor(_ text: String, generation: Int? = nil, after start: Int = 0, timeout: Duration = .seconds(30),
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        var found: String?
        try FixtureProcess.waitUntil("a line with \(text.debugDescription) (generation \(generation.map(String.init) ?? "any"));\n\(allLines.joined(separator: "\n"))",
                                     timeout: timeout, sourceLocation: sourceLocation) {
            found = log.all.withLock { $0.dropFirst(start).first { $0.contains(text) && (generation == nil || $0.contains(" generation=\(generation!) ")) } }
            return found != nil
        }
        return found!
    }

    /// The port the demo listens on, from its first `listening=` line.
    func port() throws -> UInt16 {
        let line = try waitFor("listening=", generation: 1)
        return UInt16(FixtureProcess.field("listening", in: line)!.split(separator: ":").last!)!
    }

    /// The host pid of the namespace's PID 1 (the keeper, or the program itself).
    func pidOne(sourceLocation: SourceLocation = #_sourceLocation) throws -> pid_t {
        var pid: pid_t?
        try FixtureProcess.waitUntil("unshare's child", sourceLocation: sourceLocation) {
            pid = NamespacedProgram.children(of: process.processIdentifier).first
            return pid != nil
        }
        return pid!
    }

    /// Every process below `pid` (host pids), from one ``ProcessTable`` reading.
    static func descendants(of pid: pid_t) -> [pid_t] {
        ProcessTable.read().descendants(of: pid)
    }

    static func children(of pid: pid_t) -> [pid_t] {
        ProcessTable.read().children(of: pid)
    }

    /// The state letter of `/proc/<pid>/stat` ("Z" for a zombie), or `nil` if it is gone.
    static func state(of pid: pid_t) -> Character? {
        ProcessTable.entry(of: pid)?.state
    }

    /// Waits until exactly one process lives below PID 1 and none is a zombie; returns it.
    @discardableResult
    func waitForOneServer(sourceLocation: SourceLocation = #_sourceLocation) throws -> pid_t {
        let keeper = try pidOne(sourceLocation: sourceLocation)
        var table = ProcessTable(entries: [:])
        var seen: [pid_t] = []
        do {
            try FixtureProcess.waitUntil("one server process and no zombie below PID 1", sourceLocation: sourceLocation) {
                table = ProcessTable.read()
                seen = table.descendants(of: keeper)
                return seen.count == 1 && table.state(of: seen[0]) != "Z"
            }
        } catch {
            Issue.record("below PID 1:\n\(table.tree(below: keeper))", sourceLocation: sourceLocation)
            throw error
        }
        return seen[0]
    }

    /// The pid a line says its process has (`pid=`, the namespace's): compare it with
    /// ``ProcessTable/namespacePID(of:)`` of a host pid.
    static func pid(in line: String) -> pid_t? {
        FixtureProcess.field("pid", in: line).flatMap { pid_t($0) }
    }

    /// Waits for `unshare` to exit; returns its status (PID 1's, which it passes on). On a
    /// timeout, records what is left below PID 1 and what the program wrote to stderr.
    func waitForExit(timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
        do {
            try FixtureProcess.waitUntil("PID 1 to exit", timeout: timeout, sourceLocation: sourceLocation) { !process.isRunning }
        } catch {
            let below = ProcessTable.read().tree(below: process.processIdentifier)
            let errors = (try? String(contentsOf: directory.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
            Issue.record("below unshare:\n\(below)\nstderr:\n\(errors)\nstdout:\n\(allLines.joined(separator: "\n"))", sourceLocation: sourceLocation)
            throw error
        }
        return process.terminationStatus
    }
}
