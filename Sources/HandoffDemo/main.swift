import HandoffSystem
import HandoffServices
import HandoffOperations

// Tests and benchmarks read the status lines through a pipe: flush each one as it is printed.
Syscall.lineBufferStandardOutput()
// Writes to a closed connection fail with EPIPE instead of killing the process (and sends use
// MSG_NOSIGNAL anyway).
Syscall.ignore(.pipe)

let options: DemoOptions
do {
    options = try DemoOptions.parse(CommandLine.arguments.dropFirst())
} catch {
    Syscall.writeToStandardError("handoff-demo: \(error)\n\n\(DemoOptions.usage)\n")
    Syscall.exit(2)
}
if options.showHelp {
    print(DemoOptions.usage)
    Syscall.exit(0)
}

Syscall.exit(await DemoApplication(options: options).run())
