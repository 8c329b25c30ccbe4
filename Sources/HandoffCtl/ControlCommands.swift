import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `upgrade` and `status`: requests to a running process over its control socket.
enum ControlCommands {
    static let options: Set<String> = ["--socket", "--program", "--timeout"]

    /// The socket: `--socket`, else `--program`'s default path, else `$HANDOFF_CONTROL_SOCKET`.
    static func socketPath(_ arguments: CtlArguments) throws(CtlArguments.UsageError) -> String {
        if let path = arguments.values["--socket"] { return path }
        if let program = arguments.values["--program"] { return ControlConfiguration.defaultSocketPath(for: program) }
        if let path = ProcessInfo.processInfo.environment["HANDOFF_CONTROL_SOCKET"], !path.isEmpty { return path }
        throw CtlArguments.UsageError(description: "\(arguments.command ?? "") needs --socket PATH, --program NAME or HANDOFF_CONTROL_SOCKET")
    }

    static func timeout(_ arguments: CtlArguments) throws(CtlArguments.UsageError) -> Duration? {
        guard let text = arguments.values["--timeout"] else { return nil }
        guard let seconds = Double(text), seconds > 0, seconds < 1e9 else {
            throw CtlArguments.UsageError(description: "--timeout wants a positive number of seconds, not \(text.debugDescription)")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Sends `request`; a failure to reach the process ends handoffctl with status 3.
    static func send(_ request: ControlRequest, _ arguments: CtlArguments, defaultTimeout: Duration?) async throws -> ControlResponse {
        let path = try socketPath(arguments)
        do {
            return try await ControlClient(socketPath: path).send(request, timeout: try timeout(arguments) ?? defaultTimeout)
        } catch let error as HandoffError {
            throw CtlFailure(status: .unavailable, message: "cannot reach the process at \(path): \(error)",
                             json: ["ok": .bool(false), "error": failure(error)])
        }
    }

    static func failure(_ error: HandoffError) -> JSONValue {
        .object(["code": .string(error.code.name), "reason": .string(error.reason)])
    }

    /// Upgrades the process and waits: prints the new pid, or fails with the reason.
    static func upgrade(_ arguments: CtlArguments) async throws -> String {
        try arguments.check(allowed: options, operands: 0...0)
        let response = try await send(ControlRequest(.upgrade), arguments, defaultTimeout: nil)
        if let error = response.handoffError {
            throw CtlFailure(status: .failed, message: "upgrade failed: \(error)", json: ["ok": .bool(false), "error": failure(error)])
        }
        guard let pid = response.pid else {
            throw CtlFailure(status: .failed, message: "the process answered without the new pid", json: nil)
        }
        if arguments.json { return JSONValue.object(["ok": .bool(true), "pid": .int(Int(pid))]).text }
        return "upgraded: pid \(pid) took over"
    }

    /// Where the process stands.
    static func status(_ arguments: CtlArguments) async throws -> String {
        try arguments.check(allowed: options, operands: 0...0)
        let response = try await send(ControlRequest(.status), arguments, defaultTimeout: .seconds(10))
        if let error = response.handoffError {
            throw CtlFailure(status: .failed, message: "status refused: \(error)", json: ["ok": .bool(false), "error": failure(error)])
        }
        guard let status = response.status else {
            throw CtlFailure(status: .failed, message: "the process answered without a status", json: nil)
        }
        if arguments.json { return json(status).text }
        var lines = [
            "pid          \(status.pid)",
            "generation   \(status.generation)",
            "state        \(status.state)",
            "predecessor  \(status.predecessor.map(String.init) ?? "none")",
        ]
        if !status.services.isEmpty {
            lines.append("ready        " + (status.notReadyReason.map { "no (\($0))" } ?? "yes"))
            lines.append("services")
            let width = status.services.map(\.name.count).max() ?? 0
            for service in status.services {
                let health = service.health.status.rawValue + (service.health.reason.map { " (\($0))" } ?? "")
                lines.append("  " + service.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + service.state.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0) + health)
            }
        }
        lines.append("listeners")
        let width = status.listeners.map(\.name.count).max() ?? 0
        for listener in status.listeners {
            lines.append("  " + listener.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + listener.kind.padding(toLength: 12, withPad: " ", startingAt: 0) + listener.address)
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ status: ControlStatus) -> JSONValue {
        .object([
            "ok": .bool(true),
            "pid": .int(Int(status.pid)),
            "generation": .int(status.generation),
            "state": .string(status.state),
            "predecessor": .optional(status.predecessor.map(Int.init)),
            "ready": .bool(status.notReadyReason == nil),
            "notReadyReason": .optional(status.notReadyReason),
            "services": .array(status.services.map {
                .object(["name": .string($0.name), "state": .string($0.state.rawValue), "health": .string($0.health.status.rawValue),
                         "reason": .optional($0.health.reason)])
            }),
            "listeners": .array(status.listeners.map {
                .object(["name": .string($0.name), "kind": .string($0.kind), "address": .string($0.address)])
            }),
        ])
    }
}
