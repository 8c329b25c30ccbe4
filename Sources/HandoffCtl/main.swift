// handoffctl: operate a Handoff process from the shell (see CtlHelp for the commands).
import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

Syscall.lineBufferStandardOutput()
Syscall.ignore(.pipe)

func finish(_ status: CtlExit, output: String? = nil, error: String? = nil) -> Never {
    if let output, !output.isEmpty { print(output) }
    if let error, !error.isEmpty { Syscall.writeToStandardError("handoffctl: \(error)\n") }
    Syscall.exit(status.rawValue)
}

let arguments: CtlArguments
do {
    arguments = try CtlArguments.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    finish(.usage, error: "\(error)\n\n\(CtlHelp.general)")
}

if arguments.help || arguments.command == "help" || arguments.command == nil {
    let topic = arguments.command == "help" ? arguments.operands.first : arguments.command
    guard let text = CtlHelp.text(for: topic) else { finish(.usage, error: "unknown command \(topic ?? "")\n\n\(CtlHelp.general)") }
    finish(arguments.command == nil && !arguments.help ? .usage : .success, output: text)
}

do {
    let output: String
    switch arguments.command {
    case "upgrade": output = try await ControlCommands.upgrade(arguments)
    case "status": output = try await ControlCommands.status(arguments)
    case "inspect": output = try InspectCommand.run(arguments)
    case "offers": output = try await OffersCommand.run(arguments)
    default: throw CtlArguments.UsageError(description: "unknown command \(arguments.command ?? "")")
    }
    finish(.success, output: output)
} catch let failure as CtlFailure {
    if arguments.json {
        finish(failure.status, output: failure.output ?? failure.json.map { JSONValue.object($0).text }, error: failure.message)
    }
    finish(failure.status, output: failure.output, error: failure.message)
} catch let usage as CtlArguments.UsageError {
    finish(.usage, error: "\(usage)\n\n\(CtlHelp.text(for: arguments.command) ?? CtlHelp.general)")
} catch {
    finish(.failed, error: "\(error)")
}
