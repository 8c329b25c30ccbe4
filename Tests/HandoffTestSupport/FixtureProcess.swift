#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Synchronization
import Testing
@testable import HandoffSystem

/// A real process tree of `handoff-fixture` (or `handoff-demo`): the first generation started
/// here, its successors started by its upgrades. Every line any generation prints that starts
/// with the program's name is collected; tests wait for lines with a deadline, never for a fixed
/// time.
final class FixtureProcess: Sendable {
    struct Line: Sendable {
        let pid: Int32
        let generation: Int
        let text: String
    }

    /// What every generation printed, and which processes exist; shared with the reader thread
    /// (which must not keep the `FixtureProcess` alive: its deinit kills the tree).
    private final class Log: Sendable {
        let lines = Mutex<[Line]>([])
        let pids = Mutex<Set<Int32>>([])
    }

    let directory: URL
    let planFile: URL
    private let process: Process
    private let log = Log()

    /// Starts generation 1 of `program` with `arguments`, and `environment` added to the
    /// test's own.
    /// - Parameter executable: Run this file instead of the built `program` (a test that
    ///   "deploys" by replacing the file at that path); its lines still start with `program`.
    init(program: String = "handoff-fixture", executable: URL? = nil, arguments: [String] = [], environment extra: [String: String] = [:], plan: String = "ready") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        planFile = directory.appendingPathComponent("plan")
        try plan.write(to: planFile, atomically: true, encoding: .utf8)

        process = Process()
        process.executableURL = executable ?? FixtureProcess.binary(program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FIXTURE_PLAN"] = planFile.path
        environment["FIXTURE_PID_FILE"] = directory.appendingPathComponent("fixture.pid").path
        // The default state store lives under the runtime directory: one per test, so no state
        // offered by one test (or run) is claimed by another.
        environment["XDG_RUNTIME_DIR"] = directory.path
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        // Not the runner's own stderr: a stray fixture would hold the runner's pipe open.
        let errors = directory.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        log.pids.withLock { _ = $0.insert(process.processIdentifier) }
        let reader = pipe.fileHandleForReading
        let log = self.log
        let prefix = program + " "
        let thread = Thread { FixtureProcess.read(reader, prefix: prefix, into: log) }
        thread.start()
    }

    deinit {
        for pid in log.pids.withLock({ $0 }) { kill(pid, SIGKILL) }
        // HANDOFF_TEST_KEEP=1 keeps the directory (the fixtures' stderr.log) for a post-mortem.
        if ProcessInfo.processInfo.environment["HANDOFF_TEST_KEEP"] != "1" {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Points the next successor at another behaviour ("deploys" another binary).
    func setPlan(_ plan: String) throws {
        try plan.write(to: planFile, atomically: true, encoding: .utf8)
    }

    var allLines: [Line] { log.lines.withLock { $0 } }

    /// Waits for a line that satisfies `predicate`, skipping the first `after` lines.
    @discardableResult
    func waitForLine(
        after start: Int = 0, timeout: Duration = .seconds(20),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ predicate: (Line) -> Bool
    ) throws -> Line {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = log.lines.withLock({ $0.dropFirst(start).first(where: predicate) }) { return line }
            usleep(2_000)  // polling with a deadline
        }
        let seen = allLines.map { "  pid=\($0.pid) gen=\($0.generation) \($0.text)" }.joined(separator: "\n")
        Issue.record("no matching line within \(timeout); lines so far:\n\(seen)", sourceLocation: sourceLocation)
        throw FixtureError.timedOut
    }

    /// Waits for `text` to start a line (after the "<program> pid=… generation=…" prefix).
    @discardableResult
    func waitFor(_ text: String, after start: Int = 0, generation: Int? = nil, timeout: Duration = .seconds(20),
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Line {
        try waitForLine(after: start, timeout: timeout, sourceLocation: sourceLocation) {
            $0.text.hasPrefix(text) && (generation == nil || $0.generation == generation)
        }
    }

    var lineCount: Int { log.lines.withLock { $0.count } }

    /// The port of the "main" listener, from generation 1's "started" line.
    func port() throws -> UInt16 {
        let started = try waitFor("started", generation: 1)
        return UInt16(FixtureProcess.field("port", in: started.text)!)!
    }

    /// The pid of the process serving as generation `generation`, from its first line that
    /// starts with `marker`.
    func pid(ofGeneration generation: Int, marker: String = "started") throws -> Int32 {
        try waitFor(marker, generation: generation).pid
    }

    /// Sends `signal` to the process of `generation`.
    func signal(_ number: Int32, generation: Int) throws {
        #expect(kill(try pid(ofGeneration: generation), number) == 0)
    }

    /// Waits until `pid` has exited (or is a zombie).
    func waitUntilGone(_ pid: Int32, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation) throws {
        try FixtureProcess.waitUntil("pid \(pid) gone", timeout: timeout, sourceLocation: sourceLocation) { !FixtureProcess.isAlive(pid) }
    }

    /// Polls `condition` until it holds; records an issue naming `what` and throws if it does not
    /// within `timeout`.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
                          _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return }
            usleep(2_000)  // polling with a deadline
        }
        Issue.record("not within \(timeout): \(what)", sourceLocation: sourceLocation)
        throw FixtureError.timedOut
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    static func field(_ name: String, in text: String) -> String? {
        for part in text.split(separator: " ") where part.hasPrefix("\(name)=") {
            return String(part.dropFirst(name.count + 1))
        }
        return nil
    }

    /// Replaces the file at `path` the way a deploy does: a new file, then `rename(2)` over it.
    ///
    /// The copy is written through a close-on-exec descriptor: a process another test spawns
    /// meanwhile must not inherit it open for writing, or executing the file fails with ETXTBSY.
    static func deploy(_ program: String, to path: URL) throws {
        let staging = path.appendingPathExtension("new")
        unlink(staging.path)
        let contents = try [UInt8](Data(contentsOf: FixtureProcess.binary(program)))
        let fd = open(staging.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
        close(fd)
        #expect(offset == contents.count)
        #expect(rename(staging.path, path.path) == 0)
    }

    /// A built product next to the test bundle.
    static func binary(_ name: String) -> URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = exe.deletingLastPathComponent()
        while !directory.path.isEmpty && directory.path != "/" {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: name)
    }

    private static func read(_ handle: FileHandle, prefix: String, into log: Log) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let text = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                record(text, prefix: prefix, into: log)
            }
        }
    }

    private static func record(_ text: String, prefix: String, into log: Log) {
        guard text.hasPrefix(prefix) else { return }
        let pid = Int32(FixtureProcess.field("pid", in: text) ?? "") ?? -1
        let generation = Int(FixtureProcess.field("generation", in: text) ?? "") ?? -1
        var body = Substring(text)
        for _ in 0..<3 { body = body.drop(while: { $0 != " " }).dropFirst() }
        log.pids.withLock { _ = $0.insert(pid) }
        log.lines.withLock { $0.append(Line(pid: pid, generation: generation, text: String(body))) }
    }
}

enum FixtureError: Error { case timedOut }
#endif
