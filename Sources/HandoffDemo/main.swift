import HandoffSystem
import HandoffServices
import HandoffOperations
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// Tests and benchmarks read the status lines through a pipe: flush each one as it is printed.
setvbuf(stdout, nil, _IOLBF, 0)
// Writes to a closed connection fail with EPIPE instead of killing the process (and sends use
// MSG_NOSIGNAL anyway).
signal(SIGPIPE, SIG_IGN)

let options: DemoOptions
do {
    options = try DemoOptions.parse(CommandLine.arguments.dropFirst())
} catch {
    fputs("handoff-demo: \(error)\n\n\(DemoOptions.usage)\n", stderr)
    exit(2)
}
if options.showHelp {
    print(DemoOptions.usage)
    exit(0)
}

exit(await DemoApplication(options: options).run())
