import HandoffSystem
import HandoffServices
import HandoffOperations
/// The command line, split: the command, its operands, its options. `--name=value` works too;
/// options may come before or after the command.
struct CtlArguments {
    /// A command line handoffctl cannot run.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    /// Options that take a value.
    static let valued: Set<String> = ["--socket", "--program", "--timeout", "--store", "--label"]
    /// Options that take none.
    static let flags: Set<String> = ["--json", "--help", "-h"]

    var command: String?
    var operands: [String] = []
    var values: [String: String] = [:]
    var flags: Set<String> = []

    var json: Bool { flags.contains("--json") }
    var help: Bool { flags.contains("--help") || flags.contains("-h") }

    static func parse(_ arguments: [String]) throws(UsageError) -> CtlArguments {
        var parsed = CtlArguments()
        var iterator = arguments.makeIterator()
        var onlyOperands = false
        while let argument = iterator.next() {
            if onlyOperands || !argument.hasPrefix("-") || argument == "-" {
                if parsed.command == nil { parsed.command = argument } else { parsed.operands.append(argument) }
                continue
            }
            if argument == "--" {
                onlyOperands = true
                continue
            }
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if flags.contains(name) {
                if inline != nil { throw UsageError(description: "\(name) takes no value") }
                parsed.flags.insert(name)
            } else if valued.contains(name) {
                guard let value = inline ?? iterator.next() else { throw UsageError(description: "\(name) needs a value") }
                if parsed.values[name] != nil { throw UsageError(description: "\(name) is given twice") }
                parsed.values[name] = value
            } else {
                throw UsageError(description: "unknown option \(name)")
            }
        }
        return parsed
    }

    /// Refuses options the command does not take, and a wrong number of operands.
    func check(allowed: Set<String>, operands range: ClosedRange<Int>) throws(UsageError) {
        if let stray = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw UsageError(description: "\(command ?? "handoffctl") does not take \(stray)")
        }
        guard range.contains(operands.count) else {
            let wanted = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw UsageError(description: "\(command ?? "handoffctl") takes \(wanted) operand(s), not \(operands.count)")
        }
    }
}
