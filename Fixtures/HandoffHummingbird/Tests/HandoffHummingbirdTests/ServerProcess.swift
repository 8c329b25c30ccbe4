import Foundation
import Synchronization
import Testing

/// A real `handoff-hummingbird` process tree: the first generation started here, its successors
/// started by its upgrades (they inherit its stderr). Tests wait for log lines with a deadline.
final class ServerProcess: Sendable {
    struct Line: Sendable {
        let pid: Int32
        let text: String
    }

    private final class Log: Sendable {
        let lines = Mutex<[Line]>([])
        let pids = Mutex<Set<Int32>>([])
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL
    let faultFile: URL
    private let log = Log()
    private let process: Process

    /// Starts generation 1 on a loopback port of the kernel's choosing, with a state directory
    /// of its own.
    init(drain: String = "handover") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-hb-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        faultFile = directory.appendingPathComponent("fault")
        process = Process()
        process.executableURL = Self.binary("handoff-hummingbird")
        process.arguments = [
            "--listen", "127.0.0.1:0", "--drain", drain,
            "--state-dir", directory.appendingPathComponent("state").path,
            "--pid-file", directory.appendingPathComponent("pid").path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["HANDOFF_HUMMINGBIRD_FAULT_FILE"] = faultFile.path
        environment["XDG_RUNTIME_DIR"] = directory.path
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        log.pids.withLock { _ = $0.insert(process.processIdentifier) }
        let reader = pipe.fileHandleForReading
        let log = self.log
        Thread.detachNewThread { Self.read(reader, into: log) }
    }

    deinit {
        for pid in log.pids.withLock({ $0 }) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The port generation 1 listens on.
    func port() throws -> UInt16 {
        let line = try waitFor("listening=")
        return UInt16(line.text.split(separator: ":").last!)!
    }

    var lineCount: Int { log.lines.withLock { $0.count } }

    /// Waits for a line starting with `text`, skipping the first `after` lines.
    @discardableResult
    func waitFor(_ text: String, after start: Int = 0, timeout: Duration = .seconds(30)) throws -> Line {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = log.lines.withLock({ $0.dropFirst(start).first { $0.text.hasPrefix(text) } }) { return line }
            usleep(2_000)  // polling with a deadline
        }
        let seen = log.lines.withLock { $0.map { "  pid=\($0.pid) \($0.text)" }.joined(separator: "\n") }
        Issue.record("no line starting with \(text) within \(timeout); lines so far:\n\(seen)")
        throw Timeout(description: text)
    }

    /// Waits until `pid` has exited (or is a zombie).
    func waitUntilGone(_ pid: Int32, timeout: Duration = .seconds(30)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !Self.isAlive(pid) { return }
            usleep(2_000)  // polling with a deadline
        }
        Issue.record("pid \(pid) still alive after \(timeout)")
        throw Timeout(description: "pid \(pid) gone")
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// A built product next to the test bundle.
    static func binary(_ name: String) -> URL {
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while !directory.path.isEmpty && directory.path != "/" {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: name)
    }

    private static func read(_ handle: FileHandle, into log: Log) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let text = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let parts = text.split(separator: " ", maxSplits: 2)
                guard parts.count == 3, parts[0] == "handoff-hummingbird", parts[1].hasPrefix("pid="),
                    let pid = Int32(parts[1].dropFirst(4))
                else { continue }
                log.pids.withLock { _ = $0.insert(pid) }
                log.lines.withLock { $0.append(Line(pid: pid, text: String(parts[2]))) }
            }
        }
    }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1, written and read by hand.
final class RawClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "connect: errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw Failure(description: "send: errno \(errno)")
        }
    }

    /// Reads one response (framed by Content-Length) and returns its status and body.
    func response() throws -> (status: Int, body: String) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = headerEnd() {
                let lines = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                guard let status = Int(lines[0].dropFirst(9).prefix(3)) else { throw Failure(description: "bad status line \(lines[0])") }
                let length = lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
                if pending.count >= end + 4 + length {
                    let body = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    pending.removeFirst(end + 4 + length)
                    return (status, body.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { throw Failure(description: "the server closed the connection") }
            if count < 0 { throw Failure(description: "recv: errno \(errno)") }
            pending += buffer[0..<count]
        }
    }

    func get(_ path: String) throws -> (status: Int, body: String) {
        try send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
        return try response()
    }

    private func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4) where pending[index..<index + 4].elementsEqual([13, 10, 13, 10]) {
            return index
        }
        return nil
    }
}
