#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Synchronization
import Testing
@testable import HandoffSystem

/// A private directory for one test's ``DirectoryStore``, removed when the test is done.
final class TemporaryStoreDirectory: Sendable {
    /// The parent, made here; the store directory is `path`, made by the store.
    let parent: String
    let path: String

    init() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-store-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        path = parent + "/store"
    }

    deinit { try? FileManager.default.removeItem(atPath: parent) }

    /// The names in the store directory.
    func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}

/// Runs `body`, failing with `StoreTestTimeout` if it has not returned within `timeout`.
func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)  // the deadline, not a wait for the event
            throw StoreTestTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

struct StoreTestTimeout: Error {}

/// One run of `handoff-store-fixture`, its output collected as it comes.
final class StoreFixtureRun: Sendable {
    /// What the process wrote; shared with the pipes' handlers.
    private final class Collected: Sendable {
        let output = Mutex<String>("")
        let errors = Mutex<String>("")
    }

    private let process: Process
    private let collected = Collected()
    private let exit: AsyncStream<Int32>

    /// Starts `handoff-store-fixture` with `arguments`.
    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = FixtureProcess.binary("handoff-store-fixture")
        process.arguments = arguments
        let (exit, exited) = AsyncStream<Int32>.makeStream()
        self.exit = exit
        process.terminationHandler = { process in
            exited.yield(process.terminationStatus)
            exited.finish()
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let collected = self.collected
        try process.run()
        // Plain reader threads, not `readabilityHandler`: churning dispatch read sources for
        // hundreds of short-lived pipes trips a libdispatch race on Linux that can crash the
        // test process.
        let output = out.fileHandleForReading, errors = err.fileHandleForReading
        Thread.detachNewThread { Self.drain(output) { text in collected.output.withLock { $0 += text } } }
        Thread.detachNewThread { Self.drain(errors) { text in collected.errors.withLock { $0 += text } } }
    }

    /// Reads `handle` until end of file.
    private static func drain(_ handle: FileHandle, _ append: (String) -> Void) {
        while true {
            let data = handle.availableData
            if data.isEmpty { return }
            append(String(decoding: data, as: UTF8.self))
        }
    }

    var pid: Int32 { process.processIdentifier }
    var stderr: String { collected.errors.withLock { $0 } }

    /// Waits for the process to exit, then for its first line of output (which the pipe may
    /// deliver a moment later).
    func finish(timeout: Duration = .seconds(20)) async throws -> (status: Int32, line: String) {
        let exit = self.exit
        let status = try await withDeadline(timeout) {
            for await status in exit { return status }
            return -1
        }
        return (status, try firstLine(timeout: timeout))
    }

    /// Waits for a whole first line of output.
    func firstLine(timeout: Duration = .seconds(20)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let line = collected.output.withLock { text in text.firstIndex(of: "\n").map { String(text[..<$0]) } }
            if let line { return line }
            usleep(1_000)  // polling with a deadline
        }
        throw StoreTestTimeout()
    }

    func kill(_ signal: Int32) { _ = Glibc.kill(process.processIdentifier, signal) }
}
#endif
