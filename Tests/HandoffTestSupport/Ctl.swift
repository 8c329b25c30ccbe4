#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Testing
@testable import HandoffSystem

/// Runs the built `handoffctl` and collects what it printed and how it exited.
enum Ctl {
    struct Result: CustomStringConvertible {
        let status: Int32
        let output: String
        let errors: String

        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(errors)" }
    }

    /// `handoffctl arguments…`, as root or, with `user`, as that user (through `setpriv`, or
    /// `runuser` where there is no `setpriv`).
    ///
    /// Spawned with `posix_spawn` rather than `Foundation.Process`, whose `run()` over-reads
    /// `/proc/self/fd` entries on Linux and crashes now and then (swift-corelibs-foundation
    /// PR #5472, after 6.3.1); standard output and error go to files read once it exited.
    static func run(_ arguments: [String], asUser user: (uid: Int, gid: Int)? = nil, environment: [String: String] = [:]) throws -> Result {
        let binary = FixtureProcess.binary("handoffctl").path
        var argv: [String]
        if let user, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            argv = ["/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", binary] + arguments
        } else if user != nil {
            argv = ["/usr/sbin/runuser", "-u", "nobody", "--", binary] + arguments  // Ctl.nobody
        } else {
            argv = [binary] + arguments
        }
        var merged = ProcessInfo.processInfo.environment
        merged["HANDOFF_CONTROL_SOCKET"] = nil
        for (key, value) in environment { merged[key] = value }

        let base = FileManager.default.temporaryDirectory.appendingPathComponent("handoffctl-\(UUID().uuidString.prefix(8))")
        let outputFile = base.appendingPathExtension("out").path, errorsFile = base.appendingPathExtension("err").path
        defer { unlink(outputFile); unlink(errorsFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorsFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw Failure(description: "posix_spawn(\(argv[0])): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let outputData = FileManager.default.contents(atPath: outputFile) ?? Data()
        let errorData = FileManager.default.contents(atPath: errorsFile) ?? Data()
        return Result(
            status: exitStatus,
            output: String(decoding: outputData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            errors: String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The `nobody` user, for the tests of a client of another uid.
    static let nobody = (uid: 65534, gid: 65534)
}
#endif
