import Foundation
import Testing

/// Runs the built `handoffctl` and collects what it printed and how it exited.
enum Ctl {
    struct Result: CustomStringConvertible {
        let status: Int32
        let output: String
        let errors: String

        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(errors)" }
    }

    /// `handoffctl arguments…`, as root or, with `user`, as that user (through `setpriv`).
    static func run(_ arguments: [String], asUser user: (uid: Int, gid: Int)? = nil, environment: [String: String] = [:]) throws -> Result {
        let binary = FixtureProcess.binary("handoffctl").path
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        var merged = ProcessInfo.processInfo.environment
        merged["HANDOFF_CONTROL_SOCKET"] = nil
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        // Standard error to a file: only one pipe to drain, so neither can fill up and stall.
        let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("handoffctl-\(UUID().uuidString.prefix(8)).err")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorsFile) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorsFile)
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorData = (try? Data(contentsOf: errorsFile)) ?? Data()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            errors: String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The `nobody` user, for the tests of a client of another uid.
    static let nobody = (uid: 65534, gid: 65534)
}
